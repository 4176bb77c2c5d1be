"""bench/'s measure of other work on the machine: it counts what is not the bench's.

BENCHMARKS.md warns that its figures are noisy when other work ran; a measure that
counted the bench's own load (as the load average did) warned on every run.
"""

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

from processes import is_other_work, other_cpu_seconds, stat_fields

BURN_SECONDS = 0.3
# Burns BURN_SECONDS of its own CPU time, says so, then waits (alive, so still counted).
BURNER = f"""
import sys, time
while time.process_time() < {BURN_SECONDS}:
    pass
print("burnt", flush=True)
sys.stdin.read()
"""


@contextmanager
def burnt(new_session: bool) -> Iterator[int]:
    """A process that has burnt BURN_SECONDS of CPU; its pid."""
    burner = subprocess.Popen([sys.executable, "-c", BURNER], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True,
                              start_new_session=new_session)
    try:
        assert burner.stdout is not None and burner.stdout.readline() == "burnt\n"
        yield burner.pid
    finally:
        burner.kill()
        burner.wait()


def test_only_processes_of_other_sessions_are_other_work():
    session = os.getsid(0)
    with burnt(new_session=True) as stranger, burnt(new_session=False) as ours:
        assert is_other_work(stat_fields(stranger), session)
        assert not is_other_work(stat_fields(ours), session)
    kthreadd = Path("/proc/2/comm")  # the kernel's; in a container pid 2 is a process
    if kthreadd.exists() and kthreadd.read_text() == "kthreadd\n":
        assert not is_other_work(stat_fields(2), session)


def test_the_cpu_of_other_work_is_counted():
    before = other_cpu_seconds()
    with burnt(new_session=True):
        assert other_cpu_seconds() - before >= BURN_SECONDS - 0.02  # two clock ticks
