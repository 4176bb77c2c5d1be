"""Tests of the scaled-out setup: PostgreSQL + OpenSearch, both real."""
