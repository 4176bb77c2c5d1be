"""The embedded setup: one SQLite file holds the titles, their FTS5 index and everything else."""
