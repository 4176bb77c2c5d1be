"""The indexer of the scaled-out setup: the sync worker (outbox -> cluster) and reindex."""
