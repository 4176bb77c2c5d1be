"""bench/processes.py: the servers the bench starts cannot take the bench down with them."""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

from processes import Service


def test_serve_runs_in_a_process_group_of_its_own_in_the_benchs_session(tmp_path):
    # Sanic SIGKILLs the process group of workers slow to acknowledge their start;
    # in the bench's group, that killed the bench and the shell that ran it.
    service = Service(tmp_path, {"DATABASE_URL": f"sqlite:///{tmp_path / 'p.db'}"}, 1,
                      "groups").start()
    try:
        assert service.process is not None
        pid = service.process.pid
        assert os.getpgid(pid) == pid != os.getpgid(0)
        assert os.getsid(pid) == os.getsid(0)  # its CPU still counts as the bench's
        for worker in service.worker_pids():
            assert os.getpgid(worker) == pid
    finally:
        service.stop()


def test_the_bench_turns_off_every_limit_on_one_clients_searches():
    # wrk sends everything from 127.0.0.1: a per-address limit left on turns a
    # capacity measurement into a count of 429s.
    from steps import NO_LIMITS

    from app.shared.settings import Settings

    limits = [name for name in Settings.model_fields
              if name.endswith("rate_limit") or name.endswith("time_budget")]
    assert len(limits) >= 3
    assert {name.upper(): "off" for name in limits} == NO_LIMITS
