"""The processes a benchmark run drives: the service, nginx and wrk.

Everything listens on and talks to 127.0.0.1 only. Every process started here is
stopped by the object that started it, by its own pid.
"""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import httpx

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
WRK_SCRIPT = Path(__file__).resolve().parent / "report.lua"
_WORKER_READY = re.compile(r"Worker ready \[(\d+)\]")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def ensure_debian_package(command: str, package: str) -> str:
    """The path of ``command``, apt-installing ``package`` first when it is missing."""
    found = shutil.which(command) or shutil.which(command, path="/usr/sbin:/sbin")
    if found:
        return found
    print(f"bench: installing {package} (apt-get)", file=sys.stderr)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-qq", package]
    if subprocess.run(install, env=env, stdout=subprocess.DEVNULL).returncode != 0:
        subprocess.run(["apt-get", "update", "-qq"], env=env, check=True)
        subprocess.run(install, env=env, check=True, stdout=subprocess.DEVNULL)
    found = shutil.which(command) or shutil.which(command, path="/usr/sbin:/sbin")
    if not found:
        sys.exit(f"bench: {package} is installed but {command} is not on PATH")
    return found


def wait_until(check: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise RuntimeError(f"timed out after {seconds:.0f} s waiting for {what}")


def stop_process(process: "subprocess.Popen[bytes] | None", seconds: float) -> None:
    """SIGTERM the process we started (its own pid), SIGKILL when it takes over ``seconds``."""
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def answers(url: str, expect: str | None = None) -> bool:
    try:
        response = httpx.get(url, timeout=1)
    except httpx.HTTPError:
        return False
    return response.status_code == 200 and (expect is None or response.text == expect)


SERVER_GROUP = 0
"""Popen's process_group for a Sanic server: a group of its own (in the bench's session,
so `is_other_work` still counts it as the bench's). Sanic SIGKILLs its worker's process
group when the workers are slow to acknowledge their start (a loaded machine): in the
bench's group, that killed the bench and the shell that ran it."""


class HasWorkers(Protocol):
    """A server whose processes' CPU time a wrk run charges per request."""

    def worker_pids(self) -> list[int]: ...


# -- the service ---------------------------------------------------------------


class Service:
    """`autocompeter serve --workers N` on 127.0.0.1, as a user starts it."""

    def __init__(self, workdir: Path, env: dict[str, str], workers: int, name: str) -> None:
        self.env = {**os.environ, **env}
        self.workers = workers
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log_path = workdir / f"serve-{name}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> "Service":
        command = [
            str(BIN / "autocompeter"),
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--workers",
            str(self.workers),
        ]
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                process_group=SERVER_GROUP,
            )
        process = self.process

        def ready() -> bool:
            if process.poll() is not None:
                raise RuntimeError(f"serve exited early:\n{self.log()}")
            return answers(f"{self.base_url}/v1/ping", "pong")

        try:
            wait_until(ready, 60, "autocompeter serve to answer /v1/ping")
        except RuntimeError:
            self.stop()  # a start that failed leaves no server behind
            raise
        # Every worker logs "Worker ready [PID]"; wait for all of them, so no
        # measurement races a worker that is still starting.
        try:
            wait_until(lambda: len(self.worker_pids()) >= self.workers, 20, "all workers")
        except RuntimeError:
            print("bench: could not see every worker in the log; going on", file=sys.stderr)
        return self

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def worker_pids(self) -> list[int]:
        pids = sorted({int(pid) for pid in _WORKER_READY.findall(self.log())})
        if pids or self.process is None:
            return pids
        return [pid for pid in children(self.process.pid) if "resource_tracker" not in cmdline(pid)]

    def create_key(self, domain: str) -> str:
        done = subprocess.run(
            [str(BIN / "autocompeter"), "keys", "create", domain, "--note", "bench"],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout.strip()

    def stop(self) -> None:
        stop_process(self.process, 30)


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        found.extend(int(child) for child in task.read_text().split())
    return sorted(found)


def stat_fields(pid: int | str) -> list[str] | None:
    """/proc/PID/stat after the command name: [0] is field 3 (state), [11] utime."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None  # ended


def cpu_ticks(fields: list[str]) -> int:
    """User + system CPU time from `stat_fields`, in clock ticks."""
    return int(fields[11]) + int(fields[12])  # utime, stime


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of ``pids`` so far, from /proc/PID/stat."""
    ticks = sum(cpu_ticks(fields) for fields in map(stat_fields, pids) if fields is not None)
    return ticks / os.sysconf("SC_CLK_TCK")


KERNEL_THREAD = 0x00200000  # PF_KTHREAD in /proc/PID/stat's flags


def is_other_work(fields: list[str], session: int) -> bool:
    """A process not of the bench: of another session, and not a kernel thread
    (ksoftirqd carries our own loopback traffic). The bench, its servers, services
    and peers all run in its session: nothing it starts calls setsid."""
    return int(fields[3]) != session and not int(fields[6]) & KERNEL_THREAD


def other_cpu_seconds() -> float:
    """CPU seconds so far of the work on this machine that is not the bench's: every
    process `is_other_work`, plus the time the hypervisor gave our CPUs to other
    machines (steal, /proc/stat). One that ended during a run is missed."""
    session, ticks = os.getsid(0), 0
    for entry in Path("/proc").glob("[0-9]*"):
        fields = stat_fields(entry.name)
        if fields is not None and is_other_work(fields, session):
            ticks += cpu_ticks(fields)
    steal = int(Path("/proc/stat").read_text().split(maxsplit=9)[8])
    return (ticks + steal) / os.sysconf("SC_CLK_TCK")


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


@dataclass
class Memory:
    pid: int
    rss_mb: float
    hwm_mb: float


def memory(pid: int) -> Memory | None:
    """VmRSS and VmHWM (peak RSS) of one process, from /proc/PID/status."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)

    def mb(name: str) -> float:
        return int(fields.get(name, "0 kB").split()[0]) / 1024

    return Memory(pid, mb("VmRSS"), mb("VmHWM"))


# -- nginx ---------------------------------------------------------------------

NGINX_CONF = """\
daemon off;
user root;
worker_processes {workers};
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {tmp}/client_body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    keepalive_requests 1000000;
    etag off;
    server {{
        listen 127.0.0.1:{port};
        root {tmp}/root;
        default_type application/json;
        location / {{ add_header Access-Control-Allow-Origin "*"; }}
    }}
}}
"""


class Nginx:
    """nginx serving fixed files: the ceiling for an HTTP answer on this machine."""

    def __init__(self, tmp: Path, workers: int) -> None:
        self.binary = ensure_debian_package("nginx", "nginx")
        self.tmp = tmp
        self.workers = workers
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        (tmp / "root").mkdir(parents=True, exist_ok=True)

    def put(self, name: str, body: bytes) -> str:
        """Serve ``body`` as /NAME.json; returns its URL (checked to answer the same bytes)."""
        (self.tmp / "root" / f"{name}.json").write_bytes(body)
        url = f"{self.base_url}/{name}.json"
        if self.process is not None:
            served = httpx.get(url, timeout=5)
            if served.status_code != 200 or served.content != body:
                raise RuntimeError(f"nginx does not serve the same body at {url}")
        return url

    def start(self) -> "Nginx":
        conf = self.tmp / "nginx.conf"
        conf.write_text(NGINX_CONF.format(tmp=self.tmp, port=self.port, workers=self.workers))
        self.process = subprocess.Popen(
            [self.binary, "-p", str(self.tmp), "-c", str(conf)],
            stdout=subprocess.DEVNULL,
            stderr=(self.tmp / "stderr.log").open("wb"),
        )
        process = self.process

        def ready() -> bool:
            if process.poll() is not None:
                raise RuntimeError(
                    "nginx exited early: " + (self.tmp / "stderr.log").read_text(errors="replace")
                )
            return answers(f"{self.base_url}/ping.json")

        (self.tmp / "root" / "ping.json").write_text("{}")
        wait_until(ready, 20, "nginx to answer")
        return self

    def stop(self) -> None:
        stop_process(self.process, 15)  # SIGTERM: nginx's fast shutdown, workers too


# -- wrk -----------------------------------------------------------------------


def wrk_threads(connections: int) -> int:
    """wrk's -t: two threads (one per core here), fewer when there are fewer connections."""
    return min(2, connections)  # wrk needs connections >= threads


@dataclass
class WrkResult:
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int
    """Connect, read, write and timeout errors plus non-2xx/3xx answers."""
    cpu_us_per_request: float | None = None
    """CPU time (user + system) the service's workers spent per answered request."""
    other_work_cores: float | None = None
    """Cores' worth of CPU that work other than the bench's took during the run
    (`other_cpu_seconds`)."""
    repeated: int | None = None
    """bench/distinct.lua only: requests that repeated a query of the same run."""
    beside_cpu_us: dict[str, float] = field(default_factory=dict)
    """CPU time per answered request of the processes watched beside the server (the
    scaled setup's engine and PostgreSQL: `Wrk.run`'s ``beside``), by their name."""

    @classmethod
    def parse(cls, output: str) -> "WrkResult":
        for line in output.splitlines():
            if line.startswith("WRK_JSON "):
                data = json.loads(line.removeprefix("WRK_JSON "))
                errors = sum(int(value) for key, value in data.items() if key.startswith("errors_"))
                result = cls(data["rps"], data["p50_ms"], data["p99_ms"], data["requests"], errors)
                break
        else:
            raise RuntimeError(f"wrk printed no WRK_JSON line:\n{output}")
        for line in output.splitlines():
            if line.startswith("WRK_DISTINCT "):
                result.repeated = json.loads(line.removeprefix("WRK_DISTINCT "))["repeated"]
        return result


class Wrk:
    """wrk with a Lua script that prints one WRK_JSON line (bench/report.lua by
    default); ``script_args`` reach the script's init() after `--`."""

    def __init__(self, duration: float, script: Path = WRK_SCRIPT,
                 script_args: Sequence[str] = ()) -> None:
        self.binary = ensure_debian_package("wrk", "wrk")
        self.duration = duration
        self.script = script
        self.script_args = list(script_args)

    def run(self, url: str, connections: int, workers: list[int] | None = None,
            beside: Mapping[str, list[int]] | None = None) -> WrkResult:
        """One wrk run; with ``workers``, also their CPU time per request, and so for each
        group of processes ``beside`` them."""
        before, others_before = cpu_seconds(workers or []), other_cpu_seconds()
        beside = beside or {}
        beside_before = {name: cpu_seconds(pids) for name, pids in beside.items()}
        started = time.monotonic()
        result = self._run(url, connections)
        elapsed = time.monotonic() - started
        if workers:
            spent = cpu_seconds(workers) - before
            result.cpu_us_per_request = spent * 1e6 / max(result.requests, 1)
        result.beside_cpu_us = {
            name: (cpu_seconds(pids) - beside_before[name]) * 1e6 / max(result.requests, 1)
            for name, pids in beside.items()}
        result.other_work_cores = (other_cpu_seconds() - others_before) / elapsed
        return result

    def _run(self, url: str, connections: int) -> WrkResult:
        if not url.startswith("http://127.0.0.1:"):
            raise ValueError(f"bench only sends traffic to 127.0.0.1, not {url}")
        threads = wrk_threads(connections)
        command = [self.binary, f"-t{threads}", f"-c{connections}", f"-d{self.duration:g}s",
                   "--timeout", "5s", "-s", str(self.script), url]
        if self.script_args:
            command += ["--", *self.script_args]
        # From the project root: the scripts dofile("bench/report.lua").
        done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT,
                              timeout=self.duration + 60)
        if done.returncode != 0:
            raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr}")
        return WrkResult.parse(done.stdout)
