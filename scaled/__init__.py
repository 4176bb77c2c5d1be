"""The scaled-out setup: PostgreSQL (with the outbox) and an Elasticsearch/OpenSearch cluster."""
