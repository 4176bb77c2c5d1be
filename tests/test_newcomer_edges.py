"""What a newcomer pastes and reads first (issue 27, item 6): the README's port, the
way to the dashboard, `--help`, `.gitignore`, and error messages without pydantic's
"Value error, " prefix."""

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from live import free_port, start_server, stop_server

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
README_TOP = README[:README.index("## Walk-through")]


def wait_for_pong(base_url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"exited early:\n{log.read_text()}")
        try:
            if httpx.get(f"{base_url}/v1/ping", timeout=1).text == "pong":
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"never answered on {base_url}:\n{log.read_text()}")


def test_the_readme_top_says_how_to_pick_the_port_and_that_command_works(tmp_path):
    commands = re.findall(r"^(PORT=(\d+) make run)\b", README_TOP, re.M)
    assert commands, "the README's top should show PORT=... make run"
    assert "autocompeter serve --port" in README_TOP
    command, shown_port = commands[0]
    port = free_port()  # the README's own port may be taken on this machine
    log = tmp_path / "run.log"
    # -o: take the installed .venv as up to date, as it is after a first `make run`.
    pasted = command.replace(shown_port, str(port)).replace(
        "make run", "make -o .venv/bin/autocompeter run")
    with log.open("wb") as out:
        process = subprocess.Popen(
            ["bash", "-c", pasted], cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
            env={**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'run.db'}"},
            start_new_session=True)
    try:
        wait_for_pong(f"http://127.0.0.1:{port}", process, log)
        assert f"http://127.0.0.1:{port}/dashboard" in log.read_text()  # the demo's banner
        # `/` is the demo page once the demo is loaded: it links the dashboard too.
        assert '<a href="/dashboard">' in httpx.get(f"http://127.0.0.1:{port}/").text
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def test_serve_and_the_front_page_lead_to_the_dashboard(tmp_path):
    server = start_server(tmp_path, workers=1)
    try:
        assert f"{server.base_url}/dashboard" in server.log()
        page = httpx.get(f"{server.base_url}/").text
        assert '<a href="/dashboard">' in page
    finally:
        stop_server(server)


def help_text(*command: str) -> str:
    done = subprocess.run([sys.executable, "-m", "app.cli", *command, "--help"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_top_help_names_every_command_in_its_summary():
    text = help_text()
    # The description under the usage line, not the usage line's own {serve,...} list.
    summary = text.split("\n\n")[1]
    commands = re.search(r"\{([a-z,]+)\}", text).group(1).split(",")
    assert "import" in commands
    for command in commands:
        assert re.search(rf"\b{command}\b", summary), (command, summary)


@pytest.mark.parametrize("command", [("export",), ("stats",), ("keys", "create"),
                                     ("tokens", "create"), ("tokens", "secret"),
                                     ("tokens", "rotate")])
def test_a_domain_argument_says_what_it_is(command):
    text = help_text(*command)
    line = re.search(r"^  domain\b(.*)$", text, re.M)
    assert line and "example.com" in line.group(1), text


@pytest.mark.parametrize("command", ["migrate", "indexer", "reindex"])
def test_commands_without_arguments_say_what_they_do_in_their_help(command):
    text = help_text(command)
    _usage, _blank, *rest = text.split("\n")
    assert rest and rest[0].strip() and not rest[0].startswith("options"), text


@pytest.mark.parametrize("path", ["autocompeter.db-reserve", "site.db-reserve",
                                  "autocompeter.db.import-state.json",
                                  "autocompeter-import-state.json"])
def test_files_the_service_leaves_in_the_checkout_are_ignored_by_git(path):
    done = subprocess.run(["git", "check-ignore", "--no-index", "-q", path], cwd=ROOT)
    assert done.returncode == 0, f"{path} is not in .gitignore"


@pytest.mark.parametrize(("body", "error"), [
    ({"url": "/a", "title": "bell \x07"}, "title: must not contain control characters"),
    ({"url": "/a", "title": "A", "group": "a,b"},
     "group: must not contain a comma: searches list groups as g=a,b"),
])
def test_error_messages_do_not_carry_pydantics_value_error_prefix(site, body, error):
    answer = site.client.post("/v1", json=body, headers=site.auth)
    assert answer.status_code == 400
    assert answer.json()["error"] == error


def test_a_setting_error_does_not_carry_the_prefix_either(tmp_path):
    done = subprocess.run([sys.executable, "-m", "app.cli", "migrate"], cwd=ROOT,
                          env={**os.environ, "DATABASE_URL": "mysql://nowhere/db"},
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "Value error" not in done.stderr and "DATABASE_URL: " in done.stderr, done.stderr
