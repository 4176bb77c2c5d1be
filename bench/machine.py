"""What a report was measured on: the machine, the software and the commit, and a
fingerprint of the service's code to notice edits made while a run goes on (a long run on a
shared checkout may otherwise measure two versions without saying so)."""

import hashlib
import platform
import subprocess
from pathlib import Path

from processes import ROOT

SERVICE_PACKAGES = ("app", "core", "embedded", "scaled", "indexer")
"""The service's packages: the code `code_fingerprint` covers."""


def code_fingerprint() -> str:
    """A hash of the service's source files, to notice edits made while the run goes on."""
    digest = hashlib.sha256()
    for package in SERVICE_PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            digest.update(str(path).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def machine() -> dict[str, str]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown",
    )
    mem_kb = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal:")
    )

    def version(command: list[str]) -> str:
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=10)
        except OSError:
            return "missing"
        text = (done.stdout + done.stderr).strip().splitlines()
        return text[0] if text else "unknown"

    import sqlite3

    return {
        "cores": version(["nproc"]),
        "memory": f"{mem_kb / 1024 / 1024:.1f} GiB",
        "cpu": cpu,
        "os": platform.platform(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "wrk": version(["wrk", "--version"]),
        "nginx": version(["nginx", "-v"]),
        "revision": revision(),
    }


def revision() -> str:
    """The commit measured, and whether the working tree had changes (read-only git)."""
    try:
        head = git_output("rev-parse", "--short", "HEAD").strip()
        changed = git_output("status", "--porcelain", "--untracked-files=no").splitlines()
    except OSError:
        return "unknown"
    if not head:
        return "unknown"
    return head + (f" with uncommitted changes in {len(changed)} tracked files" if changed else "")


def git_output(*arguments: str) -> str:
    """What ``git ARGUMENTS`` prints in the checkout (empty when git fails)."""
    return subprocess.run(["git", *arguments], cwd=ROOT, capture_output=True, text=True,
                          timeout=10).stdout
