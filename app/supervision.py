"""Keeps `autocompeter serve`'s worker processes alive, or gives up loudly.

Sanic's worker manager starts the workers and restarts them when asked (auto-reload,
`app.m.restart()`), but a worker that dies on its own, say killed by the OOM killer,
is only marked FAILED: its share of the listening socket is gone for good, and with
every worker dead the main process still holds the socket while nothing answers.

A thread in the main process watches the server processes and asks the manager to
restart a dead one, through the same monitor message `app.m.restart()` sends, so the
restart runs in the manager's own loop. A worker that keeps dying (more than
MAX_RESTARTS within RESTART_WINDOW_SECONDS: a broken database, a bad disk) is not
restarted forever: the main process shuts down and `serve` exits with status 1, so a
supervisor (systemd, Kubernetes, Docker's restart policy) sees it and steps in.
"""

import logging
import threading
import time
from collections import deque

from sanic import Sanic
from sanic.worker.manager import WorkerManager
from sanic.worker.process import ProcessState, WorkerProcess

log = logging.getLogger("autocompeter")

CHECK_SECONDS = 0.2
MAX_RESTARTS = 5
RESTART_WINDOW_SECONDS = 60.0
# States in which a dead process is not ours to restart: the manager is stopping it,
# or restarting it already.
LEFT_ALONE = (ProcessState.RESTARTING, ProcessState.TERMINATED, ProcessState.JOINED)


class WorkerWatchdog:
    def __init__(self, manager: WorkerManager) -> None:
        self.manager = manager
        self.gave_up = False
        self._restarts: deque[float] = deque()
        self._handled_pids: set[int] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="worker-watchdog",
                                        daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _watch(self) -> None:
        while not self._stop.wait(CHECK_SECONDS):
            if self.manager._shutting_down:  # Sanic's own flag: SIGINT/SIGTERM received
                return
            # The server processes are Sanic's transient ones (a reloader or an
            # inspector would be durable; we run neither).
            dead = [process for process in self.manager.transient_processes
                    if process.pid and not process.is_alive()
                    and process.state not in LEFT_ALONE
                    and process.pid not in self._handled_pids]
            for process in dead:
                self._handled_pids.add(process.pid)
                if not self._may_restart():
                    self._give_up(process)
                    return
                log.error("worker %s [%s] died (exit code %s); starting a new one",
                          process.name, process.pid, process.exitcode)
                self.manager.monitor_publisher.send(process.name)

    def _may_restart(self) -> bool:
        now = time.monotonic()
        while self._restarts and now - self._restarts[0] > RESTART_WINDOW_SECONDS:
            self._restarts.popleft()
        self._restarts.append(now)
        return len(self._restarts) <= MAX_RESTARTS

    def _give_up(self, process: WorkerProcess) -> None:
        log.critical("worker %s died again: %d restarts within %g s; the service cannot "
                     "serve, stopping so a supervisor can restart it", process.name,
                     MAX_RESTARTS, RESTART_WINDOW_SECONDS)
        self.gave_up = True
        # What SIGTERM does (WorkerManager.shutdown_signal): stop the workers and
        # end the monitor loop, so Sanic.serve returns in the main thread.
        self.manager.shutdown()
        self.manager.monitor_publisher.send(None)


class Supervision:
    """Set up before Sanic.serve; `gave_up` says afterwards whether serve must fail."""

    def __init__(self, app: Sanic) -> None:
        self.watchdog: WorkerWatchdog | None = None
        app.main_process_ready(self._start)
        app.main_process_stop(self._stop)

    @property
    def gave_up(self) -> bool:
        return self.watchdog is not None and self.watchdog.gave_up

    def _start(self, app: Sanic) -> None:  # the manager exists only once serving starts
        self.watchdog = WorkerWatchdog(app.manager)
        self.watchdog.start()

    def _stop(self, app: Sanic) -> None:
        if self.watchdog is not None:
            self.watchdog.stop()
