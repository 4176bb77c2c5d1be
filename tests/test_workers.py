"""`autocompeter serve` replaces a worker that dies, and exits when it cannot."""

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from live import ROOT, LiveServer, free_port, start_server, stop_server

READY = re.compile(r"Worker ready \[(\d+)\]")


def ready_pids(server: LiveServer) -> list[int]:
    """Worker pids in the order Sanic logged them ready, restarts included."""
    return [int(pid) for pid in READY.findall(server.log())]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A killed child stays a zombie until the main process reaps it.
    return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting until {what}")
        time.sleep(0.05)


def live_workers(server: LiveServer) -> set[int]:
    return {pid for pid in ready_pids(server) if alive(pid)}


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[LiveServer]:
    server = start_server(tmp_path)
    yield server
    stop_server(server)


def answers_on_new_connections(server: LiveServer, times: int = 10) -> bool:
    for _ in range(times):  # a fresh connection each, so the kernel spreads them
        if httpx.get(f"{server.base_url}/healthz", timeout=5).status_code != 200:
            return False
    return True


def test_a_killed_worker_is_replaced(own_server):
    first, second = ready_pids(own_server)
    os.kill(first, signal.SIGKILL)
    wait_for(lambda: len(live_workers(own_server)) == 2, "a new worker is ready")
    assert second in live_workers(own_server)
    assert answers_on_new_connections(own_server)


def test_killing_every_worker_does_not_leave_a_dead_listener(own_server):
    for pid in ready_pids(own_server):
        os.kill(pid, signal.SIGKILL)
    wait_for(lambda: len(live_workers(own_server)) == 2, "two new workers are ready")
    assert answers_on_new_connections(own_server)
    assert own_server.process.poll() is None


def test_serve_exits_non_zero_when_workers_cannot_start_again(own_server):
    # The database file turns into garbage under the running workers (they keep
    # their open file); every replacement fails as it opens it.
    garbage = own_server.db_path.with_suffix(".garbage")
    garbage.write_bytes(b"this is not an SQLite database\n" * 512)
    for suffix in ("-wal", "-shm"):
        Path(f"{own_server.db_path}{suffix}").unlink(missing_ok=True)
    os.replace(garbage, own_server.db_path)
    for pid in ready_pids(own_server):
        os.kill(pid, signal.SIGKILL)
    assert own_server.process.wait(timeout=120) == 1
    assert "cannot serve" in own_server.log()


def test_a_stop_right_after_the_workers_start_ends_serve(tmp_path: Path) -> None:
    # Sanic 25.12 spins for ever when SIGTERM comes while it still waits for its
    # workers' first acknowledgement (sanic-org/sanic#2997), just after "Worker
    # ready": tests and deploys that stop a fresh service hit that window.
    for attempt in range(3):
        log_path = tmp_path / f"serve-{attempt}.log"
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / f'{attempt}.db'}"}
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "app.cli", "serve", "--port", str(free_port()),
                 "--workers", "2"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_for(lambda path=log_path: len(READY.findall(path.read_text())) >= 2,
                     "both workers are ready")
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=30) == 0, log_path.read_text()
        finally:
            if process.poll() is None:
                process.kill()


def test_a_stop_in_the_middle_of_the_managers_own_call_ends_serve_cleanly(
        tmp_path: Path) -> None:
    # Sanic's own SIGTERM handler stops the workers over the connection the main
    # thread may be using at that moment; the replies crossed, and serve died with
    # a traceback (seen once in CI). serve_stopped_mid_call.py makes the stop land
    # there every time.
    wrapper = (sys.executable, str(ROOT / "tests" / "serve_stopped_mid_call.py"))
    server = start_server(tmp_path, program=wrapper)
    workers = ready_pids(server)
    try:
        server.process.send_signal(signal.SIGUSR1)
        assert server.process.wait(timeout=60) == 0, server.log()
    finally:
        stop_server(server)
    assert "Traceback" not in server.log()
    wait_for(lambda: not any(alive(pid) for pid in workers), "every worker has exited")


def test_a_second_stop_kills_a_worker_that_does_not_stop(tmp_path: Path) -> None:
    server = start_server(tmp_path)
    stuck, other = ready_pids(server)
    try:
        os.kill(stuck, signal.SIGSTOP)  # a worker that never finishes stopping
        server.process.send_signal(signal.SIGTERM)
        wait_for(lambda: f"Worker complete [{other}]" in server.log(),
                 "the other worker has stopped")
        assert server.process.poll() is None  # still waiting for the stuck one
        server.process.send_signal(signal.SIGTERM)
        # Sanic kills the service's whole process group, serve itself included.
        assert server.process.wait(timeout=60) == -signal.SIGKILL
    finally:
        stop_server(server)
        with contextlib.suppress(ProcessLookupError):
            os.kill(stuck, signal.SIGKILL)
    wait_for(lambda: not alive(stuck), "the stuck worker is gone")
