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

SIGINT and SIGTERM reach the manager as a monitor message too (DeferredShutdown),
so a stop never runs in the middle of the manager's own work.
"""

import logging
import signal
import threading
import time
from collections import deque
from collections.abc import Callable
from types import FrameType

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
# The monitor message that makes the manager's loop stop every worker and end; a
# worker sends it with `app.m.terminate()`.
TERMINATE = "__TERMINATE__"


class DeferredShutdown:
    """SIGINT and SIGTERM in the main process ask the manager's own loop to stop.

    Sanic's handler (`WorkerManager.shutdown_signal`) stops the workers inside the
    signal handler, and stopping a worker writes to the shared worker-state dict
    over the main thread's one connection to it. When the signal lands while the
    main thread is itself in the middle of a call on that connection (the monitor
    loop reads every worker's state ten times a second), the two calls read each
    other's replies: `serve` dies with a traceback instead of stopping cleanly.

    This handler only sends "__TERMINATE__" down the monitor pipe, the message
    `app.m.terminate()` sends from a worker; the monitor loop answers it with the
    same shutdown, between its own calls. A signal once the shutdown has begun
    goes to Sanic's handler, which SIGKILLs the process group, as before. The
    watchdog asks for the same stop (`request`) when it gives up.
    """

    def __init__(self, manager: WorkerManager) -> None:
        self.manager = manager
        self.requested = False

    def install(self) -> None:
        signal.signal(signal.SIGINT, self.handle)
        signal.signal(signal.SIGTERM, self.handle)
        self._stop_waiting_for_acks_once_requested()

    def request(self) -> None:
        """Ask the manager's loop to stop every worker and end, once."""
        if not self.requested:
            self.requested = True
            self.manager.monitor_publisher.send(TERMINATE)

    @property
    def begun(self) -> bool:
        """A stop is asked for, or Sanic itself is stopping."""
        return self.requested or self.manager._shutting_down

    def handle(self, signum: int, frame: FrameType | None) -> None:
        if self.manager._shutting_down:
            self.manager.shutdown_signal(signum, frame)
        elif not self.requested:
            log.info("received %s; shutting down", signal.Signals(signum).name)
            self.request()

    def _stop_waiting_for_acks_once_requested(self) -> None:
        """A stop while the manager waits for its workers' first acknowledgements
        must end that wait.

        Sanic 25.12's `WorkerManager.wait_for_ack` passes any monitor message back
        to itself until every worker has acknowledged, at full CPU, and for ever if
        one never does (sanic-org/sanic#2997, fix proposed in #3063). Once a stop is
        asked for, every worker counts as acknowledged, so the wait ends and the
        monitor loop reads the message.
        """
        all_acked = self.manager._all_workers_ack
        self.manager._all_workers_ack = (  # type: ignore[method-assign]
            lambda: self.begun or all_acked())


class RestartBudget:
    """At most ``most`` restarts within any ``window_seconds``: a restart older than
    the window no longer counts. ``clock`` is injectable so tests need not wait a
    minute to see the window slide."""

    def __init__(self, most: int = MAX_RESTARTS, window_seconds: float = RESTART_WINDOW_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.most = most
        self.window_seconds = window_seconds
        self._clock = clock
        self._restarts: deque[float] = deque()

    def allow(self) -> bool:
        """Count one more restart now; whether it is within the budget."""
        now = self._clock()
        while self._restarts and now - self._restarts[0] > self.window_seconds:
            self._restarts.popleft()
        self._restarts.append(now)
        return len(self._restarts) <= self.most


class WorkerWatchdog:
    def __init__(self, manager: WorkerManager, shutdown: DeferredShutdown,
                 budget: RestartBudget | None = None) -> None:
        self.manager = manager
        self.shutdown = shutdown
        self.gave_up = False
        self.budget = budget or RestartBudget()
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
            if self.shutdown.begun:
                return
            # The server processes are Sanic's transient ones (a reloader or an
            # inspector would be durable; we run neither).
            dead = [process for process in self.manager.transient_processes
                    if process.pid and not process.is_alive()
                    and process.state not in LEFT_ALONE
                    and process.pid not in self._handled_pids]
            for process in dead:
                self._handled_pids.add(process.pid)
                if not self.budget.allow():
                    self._give_up(process)
                    return
                log.error("worker %s [%s] died (exit code %s); starting a new one",
                          process.name, process.pid, process.exitcode)
                self.manager.monitor_publisher.send(process.name)

    def _give_up(self, process: WorkerProcess) -> None:
        log.critical("worker %s died again: %d restarts within %g s; the service cannot "
                     "serve, stopping so a supervisor can restart it", process.name,
                     self.budget.most, self.budget.window_seconds)
        self.gave_up = True
        # The manager's own loop stops the workers and ends, so Sanic.serve returns
        # in the main thread; this thread never changes the manager's state.
        self.shutdown.request()


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
        shutdown = DeferredShutdown(app.manager)
        shutdown.install()
        self.watchdog = WorkerWatchdog(app.manager, shutdown)
        self.watchdog.start()

    def _stop(self, app: Sanic) -> None:
        if self.watchdog is not None:
            self.watchdog.stop()
