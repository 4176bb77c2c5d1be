"""The wheel as a site owner installs it: built from the checkout, installed into a fresh
virtualenv outside it, serving search, the dashboard and the widget; and the systemd
unit of docs/production.md, checked against that installed command.

No package index holds the project, so this is the install docs/production.md describes.
"""

import gzip
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from live import LiveServer, start_server, stop_server

ROOT = Path(__file__).resolve().parent.parent
UNIT = ROOT / "deploy/autocompeter.service"
UNIT_COMMAND = "/opt/autocompeter/bin/autocompeter"  # where docs/production.md installs it


def project_version() -> str:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


@dataclass
class Installed:
    venv: Path
    outside: Path  # a working directory outside the checkout

    @property
    def command(self) -> Path:
        return self.venv / "bin/autocompeter"

    def run(self, *args: str, **env: str) -> str:
        done = subprocess.run([str(self.command), *args], cwd=self.outside,
                              env={**os.environ, **env}, capture_output=True, text=True,
                              timeout=60)
        assert done.returncode == 0, done.stderr
        return done.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    built = tmp_path_factory.mktemp("built")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w",
                    str(built), str(ROOT)], check=True, capture_output=True, timeout=300)
    (wheel,) = built.glob("autocompeter-*.whl")
    venv = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True,
                   timeout=120)
    subprocess.run([sys.executable, "-m", "pip", "--python", str(venv / "bin/python"),
                    "install", "--no-deps", "--no-index", "--quiet", str(wheel)],
                   check=True, capture_output=True, timeout=300)
    # The dependencies come from the project's own virtualenv rather than PyPI: quick, and
    # offline. A plain path line does not run that directory's .pth files, so the
    # checkout's editable install stays out; the wheel's own files come first on sys.path.
    site_packages = venv / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}"
    (site_packages / "site-packages/project_dependencies.pth").write_text(
        sysconfig.get_paths()["purelib"] + "\n")
    return Installed(venv, tmp_path_factory.mktemp("outside"))


def unit_settings() -> dict[str, list[str]]:
    settings: dict[str, list[str]] = {}
    for line in UNIT.read_text().splitlines():
        if "=" in line and not line.startswith("#"):
            name, value = line.split("=", 1)
            settings.setdefault(name, []).append(value)
    return settings


def unit_environment() -> dict[str, str]:
    pairs = [pair for line in unit_settings()["Environment"] for pair in line.split()]
    return dict(pair.split("=", 1) for pair in pairs)


@pytest.fixture(scope="module")
def served(installed: Installed, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[LiveServer]:
    """The installed command run as the systemd unit runs it: `migrate`, then `serve` with
    the unit's settings (but a database and a port of the test's own)."""
    tmp = tmp_path_factory.mktemp("served")
    unit_env = {name: value for name, value in unit_environment().items()
                if name not in ("DATABASE_URL", "PORT")}
    installed.run("migrate", DATABASE_URL=f"sqlite:///{tmp / 'autocompeter.db'}")
    # `env -C`: run from a directory outside the checkout, as a deployed service does.
    program = ("env", "-C", str(installed.outside), str(installed.command))
    live = start_server(tmp, workers=int(unit_env["WORKERS"]), program=program, **unit_env)
    yield live
    stop_server(live)


def test_the_installed_package_is_the_wheel_outside_the_checkout(installed):
    done = subprocess.run(
        [str(installed.venv / "bin/python"), "-c",
         "import app, importlib.metadata as m; print(app.__file__); "
         "print(m.version('autocompeter'))"],
        cwd=installed.outside, capture_output=True, text=True, timeout=60, check=True)
    module, version = done.stdout.split()
    assert Path(module).is_relative_to(installed.venv), module
    assert version == project_version()
    # Every dependency the wheel declares is there (the fresh venv has no pip of its own).
    missing = subprocess.run([sys.executable, "-m", "pip", "--python",
                              str(installed.venv / "bin/python"), "check"],
                             cwd=installed.outside, capture_output=True, text=True, timeout=60)
    assert "autocompeter" not in missing.stdout, missing.stdout


def test_the_installed_command_serves_search_the_dashboard_and_the_widget(installed, served):
    key = installed.run("keys", "create", "example.com", **served.database_env()).strip()
    with httpx.Client(base_url=served.base_url, timeout=10) as client:
        added = client.post("/v1", headers={"Auth-Key": key},
                            json={"url": "https://example.com/py", "title": "Python testing"})
        assert added.status_code == 201, added.text
        found = client.get("/v1", params={"d": "example.com", "q": "pyth"})
        assert found.status_code == 200
        assert found.json()["results"] == [["https://example.com/py", "Python testing"]]
        assert client.get("/dashboard").status_code == 200
        widget = client.get("/static/autocompeter.js")
        assert widget.status_code == 200
        # The file the wheel carries, not one read from the checkout.
        assert widget.content == (installed.venv / "share/autocompeter/static/autocompeter.js"
                                  ).read_bytes()


def test_the_installed_wheel_sends_the_widget_in_4_kb(installed, served):
    """The stable URL every snippet uses, as a browser asks for it: gzip accepted."""
    shipped = installed.venv / "share/autocompeter/static/autocompeter.min.js"
    with httpx.Client(base_url=served.base_url, timeout=10) as client, client.stream(
            "GET", "/static/autocompeter.min.js",
            headers={"Accept-Encoding": "gzip"}) as response:
        assert response.status_code == 200
        on_the_wire = b"".join(response.iter_raw())
        assert response.headers["content-encoding"] == "gzip"
    assert len(on_the_wire) <= 4096, len(on_the_wire)
    assert gzip.decompress(on_the_wire) == shipped.read_bytes()


def test_the_changelog_has_the_version_being_released():
    changelog = (ROOT / "CHANGELOG.md").read_text()
    releases = re.findall(r"^## \[(\d+\.\d+\.\d+)\] - \d{4}-\d{2}-\d{2}$", changelog, re.M)
    assert releases and releases[0] == project_version(), releases


def test_the_systemd_unit_runs_serve_from_the_install_and_stops_it_cleanly():
    unit = unit_settings()
    assert unit["ExecStart"] == [f"{UNIT_COMMAND} serve"]
    assert unit["ExecStartPre"] == [f"{UNIT_COMMAND} migrate"]
    # SIGTERM to the main process only: it stops its workers (app/http/supervision.py).
    assert unit["KillMode"] == ["mixed"]
    assert unit["StateDirectory"] == ["autocompeter"]
    assert "DATABASE_URL=sqlite:////var/lib/autocompeter/autocompeter.db" in unit["Environment"]
    assert unit["WantedBy"] == ["multi-user.target"]


def test_the_systemd_unit_passes_systemd_analyze_verify(installed, tmp_path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        if os.environ.get("CI"):
            pytest.fail("systemd-analyze is missing: apt-get install systemd")
        pytest.skip("systemd-analyze is not installed (Debian: apt-get install systemd)")
    # verify refuses a command that does not exist: point it at the installed wheel's.
    unit = tmp_path / UNIT.name
    unit.write_text(UNIT.read_text().replace(UNIT_COMMAND, str(installed.command)))
    done = subprocess.run([analyze, "verify", str(unit)], cwd=tmp_path, capture_output=True,
                          text=True, timeout=60)
    # A misspelt setting is only a warning on stderr, with exit status 0.
    assert (done.returncode, done.stderr) == (0, ""), done.stderr


def test_install_instructions_use_the_wheel_no_index_holds_the_package():
    readme = (ROOT / "README.md").read_text()
    assert "(docs/production.md)" in readme
    for doc in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        # `pip install autocompeter[...]` asks a package index for a name none holds.
        assert not re.search(r"pip install ['\"]?autocompeter\b", doc.read_text()), doc.name


def test_the_production_sizing_cites_only_figures_of_the_benchmarks():
    guide = (ROOT / "docs/production.md").read_text()
    sizing = guide.split("\n## Sizing\n", 1)[1].split("\n## ", 1)[0]
    benchmarks = (ROOT / "BENCHMARKS.md").read_text()
    # Measured figures are written with a thousands comma or a decimal point (settings'
    # defaults and core counts are not): each must be one BENCHMARKS.md holds.
    figures = set(re.findall(r"\b\d{1,3}(?:,\d{3})+\b|\b\d+\.\d+\b", sizing))
    assert len(figures) > 10
    assert sorted(f for f in figures if f not in benchmarks) == []
