"""`autocompeter serve`, whose main process can be stopped at the worst moment.

A fault injection for test_workers.py, run in place of `python -m app.cli`. The
main process talks to Sanic's shared worker-state dict over one connection per
thread. After SIGUSR1, the main thread's next call on that connection sends its
request and then SIGTERM to this process before it reads the reply, so the stop's
handler runs in the middle of that call. Left to chance, a stop lands there about
once in a few hundred.
"""

import os
import signal
import sys
from typing import Any

from sanic import Sanic

from app.cli import main
from app.http import supervision


class SignalAfterSend:
    """A connection that sends SIGTERM right after the next request, once armed."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection
        self.armed = False

    def send(self, message: object) -> None:
        self.connection.send(message)
        if self.armed:
            self.armed = False
            os.kill(os.getpid(), signal.SIGTERM)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.connection, name)


def arm_on_sigusr1(app: Sanic) -> None:
    worker_state = app.manager.worker_state
    worker_state.keys()  # opens the main thread's connection
    trap = SignalAfterSend(worker_state._tls.connection)
    worker_state._tls.connection = trap
    signal.signal(signal.SIGUSR1, lambda *_: setattr(trap, "armed", True))


def start_with_trap(supervision_: supervision.Supervision, app: Sanic) -> None:
    start_supervision(supervision_, app)
    arm_on_sigusr1(app)


start_supervision = supervision.Supervision._start
supervision.Supervision._start = start_with_trap  # type: ignore[method-assign]

if __name__ == "__main__":
    sys.exit(main())
