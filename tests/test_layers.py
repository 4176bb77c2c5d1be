"""Imports only run downward, in pyproject.toml's two import-linter contracts:

- app -> indexer -> one setup (embedded | scaled) -> core;
- inside app: cli -> http | importer -> pages -> shared.

import-linter reads every import, those inside functions included.
"""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_imports_only_run_downward() -> None:
    lint_imports = Path(sys.executable).with_name("lint-imports")
    run = subprocess.run([str(lint_imports), "--no-cache"], cwd=ROOT, capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "2 kept, 0 broken" in run.stdout


def test_shared_loads_without_sanic() -> None:
    """app/shared is what the command line and the pages need too: loading it must not
    load the HTTP server (`autocompeter keys list` has no use for Sanic)."""
    check = ("import sys, app.shared.settings, app.shared.models, app.shared.backends; "
             "loaded = sorted(m for m in sys.modules if m.split('.')[0] == 'sanic'); "
             "assert not loaded, loaded[:3]")
    run = subprocess.run([sys.executable, "-c", check], cwd=ROOT, capture_output=True,
                         text=True, timeout=60)
    assert run.returncode == 0, run.stderr
