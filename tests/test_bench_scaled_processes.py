"""bench/scaled_engine.py's `scaled_processes`: which processes a scaled run charges to the
engine and to PostgreSQL, found from the pid files the services' start.sh write."""

import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

from scaled_engine import scaled_processes


def test_the_nodes_and_postgresql_with_its_backends_are_found_from_their_pid_files(tmp_path):
    (tmp_path / "os" / "opensearch-node2").mkdir(parents=True)
    (tmp_path / "os" / "opensearch.pid").write_text("101\n")
    (tmp_path / "os" / "opensearch-node2" / "opensearch.pid").write_text("102\n")
    (tmp_path / "pg" / "pgdata").mkdir(parents=True)
    # postmaster.pid: the server's pid first, then its data directory and more lines.
    (tmp_path / "pg" / "pgdata" / "postmaster.pid").write_text(f"{os.getpid()}\n/data\n")
    backend = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        found = scaled_processes(tmp_path)
    finally:
        backend.kill()
        backend.wait()

    assert found["engine"] == [101, 102]
    assert found["PostgreSQL"][0] == os.getpid() and backend.pid in found["PostgreSQL"]


def test_services_not_started_under_the_workdir_are_not_watched(tmp_path):
    (tmp_path / "os").mkdir()
    (tmp_path / "os" / "opensearch.pid").write_text("")  # a node that never wrote its pid

    assert scaled_processes(tmp_path) == {}
