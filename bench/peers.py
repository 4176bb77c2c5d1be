"""What our service is compared with: the original Go + Redis Autocompeter, a bare Sanic app
and a bare Sanic proxy to the engine.

The Go service comes from the team's shared folder (peers/autocompeter-go:
build.sh, start.sh PORT, stop.sh, load.py; see its README.md). It is built once
into .work/bench/peer-go and started with PROCS=0 (both cores) and
SERVER_LOG=/dev/null, with its Redis on a free port. Every process started
here is stopped by the object that started it, by its own pid (stop.sh
checks the command line of each pid it recorded).
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from processes import (
    BIN,
    ROOT,
    SERVER_GROUP,
    answers,
    children,
    ensure_debian_package,
    free_port,
    stop_process,
    wait_until,
)

PEER_GO_BUILD = ROOT / ".work" / "bench" / "peer-go"
GO_IN_TARBALL = Path("/usr/local/go/bin/go")


def find_peer_go_source() -> Path | None:
    """peers/autocompeter-go in the team's shared folder beside the checkout, if any."""
    override = os.environ.get("PEER_GO_SOURCE")
    if override:
        return Path(override)
    for parent in ROOT.parents:
        candidate = parent / "shared" / "peers" / "autocompeter-go"
        if (candidate / "build.sh").exists():
            return candidate
    return None


def ensure_go() -> Path:
    """The go binary: on PATH, in /usr/local/go, or Debian's golang-go installed now."""
    found = shutil.which("go")
    if found:
        return Path(found)
    if GO_IN_TARBALL.exists():
        return GO_IN_TARBALL
    return Path(ensure_debian_package("go", "golang-go"))


class GoPeer:
    """The original Go + Redis Autocompeter (2015), built from the shared source."""

    def __init__(self, source: Path, build_dir: Path = PEER_GO_BUILD) -> None:
        self.source = source
        self.build_dir = build_dir
        self.port = free_port()
        self.redis_port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.started = False

    def _env(self) -> dict[str, str]:
        go = ensure_go()
        return {
            **os.environ,
            "PEER_GO_DIR": str(self.build_dir),
            "PATH": f"{go.parent}:{os.environ.get('PATH', '')}",
            "PROCS": "0",  # GOMAXPROCS = all cores, as our service gets both
            "SERVER_LOG": "/dev/null",  # it logs two lines per search
            "REDIS_PORT": str(self.redis_port),
            "DEBIAN_FRONTEND": "noninteractive",
        }

    def _script(self, name: str, *args: str, timeout: float = 600) -> str:
        done = subprocess.run(
            ["bash", str(self.source / name), *args],
            env=self._env(),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if done.returncode != 0:
            raise RuntimeError(f"{name} failed ({done.returncode}): {done.stderr[-2000:]}")
        return done.stdout

    def start(self) -> "GoPeer":
        ensure_debian_package("redis-server", "redis-server")  # build.sh would too
        self._script("build.sh")  # returns at once when the binary is there
        self._script("start.sh", str(self.port), timeout=60)
        self.started = True
        return self

    def load(self, corpus: Path, domain: str) -> float:
        """Loads the corpus through its /v1/bulk (one client, as its own loader); seconds."""
        done = subprocess.run(
            [sys.executable, str(self.source / "load.py"), str(corpus), "--base", self.base_url,
             "--domain", domain, "--redis", f"127.0.0.1:{self.redis_port}"],
            capture_output=True,
            text=True,
            timeout=900,
            check=True,
        )
        seconds: float = json.loads(done.stdout.strip().splitlines()[-1])["elapsed_s"]
        return seconds

    def worker_pids(self) -> list[int]:
        """The Go server and its Redis, as start.sh recorded them: both do the work."""
        pids = self.build_dir / "pids"
        if not self.started or not pids.exists():
            return []
        return [int(line.split()[1]) for line in pids.read_text().splitlines() if line.strip()]

    def stop(self) -> None:
        if self.started:
            self._script("stop.sh", timeout=60)
            self.started = False


class BenchApp:
    """One of the bench's own Sanic apps (bench/NAME.py PORT WORKERS ...), started
    the way `autocompeter serve` starts ours."""

    script = ""

    def __init__(self, workdir: Path, workers: int) -> None:
        self.workdir = workdir
        self.workers = workers
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def _launch(self, arguments: list[str], ready_path: str, expect: str) -> None:
        log = self.workdir / f"{self.script}.log"
        with log.open("wb") as output:
            self.process = subprocess.Popen(
                [str(BIN / "python"), str(ROOT / "bench" / f"{self.script}.py"), str(self.port),
                 str(self.workers), *arguments],
                cwd=ROOT, stdout=output, stderr=subprocess.STDOUT, process_group=SERVER_GROUP,
            )
        process = self.process

        def ready() -> bool:
            if process.poll() is not None:
                raise RuntimeError(f"{self.script} exited early:\n{log.read_text()}")
            return answers(f"{self.base_url}{ready_path}", expect)

        wait_until(ready, 30, f"{self.script} to answer")

    def worker_pids(self) -> list[int]:
        return children(self.process.pid) if self.process else []

    def stop(self) -> None:
        stop_process(self.process, 15)


class BareSanic(BenchApp):
    """bench/bare_sanic.py: fixed bytes for GET /v1, nothing else (the framework's ceiling)."""

    script = "bare_sanic"

    def start(self, body: bytes, content_type: str, headers: dict[str, str]) -> "BareSanic":
        answer = self.workdir / "bare-sanic-answer.json"
        answer.write_text(
            json.dumps({"body": body.decode(), "content_type": content_type, "headers": headers})
        )
        self._launch([str(answer)], "/v1?q=ready", body.decode())
        return self


class BareProxy(BenchApp):
    """bench/bare_proxy.py: each scenario's engine requests, passed on as they are (the
    scaled setup's floor: one hop through Sanic)."""

    script = "bare_proxy"

    def start(self, search_url: str, alias: str, requests: dict[str, list[tuple[str, bytes]]]
              ) -> "BareProxy":
        sent = self.workdir / "bare-proxy-requests.json"
        sent.write_text(json.dumps({slug: [[path, body.decode()] for path, body in scenario]
                                    for slug, scenario in requests.items()}))
        self._launch([search_url, alias, str(sent)], "/v1/ping", "pong")
        return self
