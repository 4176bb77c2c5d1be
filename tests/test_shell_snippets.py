"""Every shell snippet in README.md and docs/ that a user would paste, run as written.

The blocks of each file run in order in one bash session (so `KEY` carries from
one to the next, as in a terminal), in a directory with the checkout's `.venv`,
against a real service. The commands say http://127.0.0.1:8000; curl reads a
config file (CURL_HOME) that connects that address to the test's service and
fails on an HTTP error, so the text of each command is exactly what the docs show.
The widget's HTML snippets are run in Chromium by tests/browser.
"""

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from live import ROOT, start_server, stop_server

DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SHELLS = ("sh", "bash", "shell", "console")
FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)

# First line of a block -> why no test can run it here. Any other block is run.
NOT_RUN = {
    "make run    # a working service with a demo domain on http://127.0.0.1:8000":
        "installs and serves until stopped: the README's fresh-clone figure measures it",
    "PORT=9000 make run                            # the demo on http://127.0.0.1:9000":
        "serves until stopped; tests/test_newcomer_edges.py runs it on a free port",
    "docker build -t autocompeter .": "no Docker on these machines; hadolint checks the "
                                      "Dockerfile (tests/test_packaging.py)",
    ".venv/bin/pip install uvicorn": "serves on port 8000 until stopped; the same app as "
                                     "`serve`, from app/asgi.py",
    "pip install './autocompeter-0.2.0-py3-none-any.whl[postgres,opensearch]'  # built as in "
    "production.md; or [postgres,elasticsearch]":
        "needs PostgreSQL and OpenSearch at the placeholder hosts db and search",
    "python3 -m pip wheel --no-deps -w dist .     # or: python3 -m pip install build && "
    "python3 -m build": "tests/test_wheel.py builds the wheel from the checkout",
    "sudo python3 -m venv /opt/autocompeter": "installs as root; tests/test_wheel.py installs "
                                              "the wheel into a fresh venv and serves from it",
    "sudo useradd --system --home-dir /var/lib/autocompeter --shell /usr/sbin/nologin "
    "autocompeter": "changes the machine (a user, systemd); tests/test_wheel.py checks the "
                    "unit with systemd-analyze verify and runs its commands",
    "pip install './autocompeter-0.2.0-py3-none-any.whl[postgres,elasticsearch]'  # "
    "elasticsearch-py 9":
        "needs Elasticsearch and PostgreSQL at placeholder hosts; the scaled-es setup of "
        "tests/conformance runs the suite on a live Elasticsearch 9",
    "SEARCH_URL=opensearch+https://user:pass@search:9200 .venv/bin/autocompeter copy \\":
        "needs PostgreSQL and OpenSearch at the placeholder hosts db and search; "
        "tests/test_copy_between_setups.py copies to a live PostgreSQL and back",
    ".venv/bin/autocompeter import https://example.com/sitemap.xml --domain example.com":
        "reads example.com, which no test may reach; tests/test_import.py runs the command "
        "against a site the test serves",
}
# Files the snippets expect to find, as a user following them would have.
GIVEN_FILES = {
    "titles.json": json.dumps({"documents": [
        {"url": "https://example.com/moved", "title": "Moved from the hosted service"}]}),
}


@dataclass
class Block:
    document: Path
    text: str

    @property
    def first_line(self) -> str:
        return self.text.splitlines()[0]

    def expected_outputs(self) -> list[str]:
        """Output shown as a one-line comment under a command: JSON or a `load` summary."""
        shown = []
        for line in self.text.splitlines():
            comment = line.removeprefix("# ")
            if not line.startswith("# "):
                continue
            if comment.startswith("loaded "):
                shown.append(comment)
                continue
            try:
                json.loads(comment)
            except ValueError:
                continue  # prose, or one line of a longer example
            shown.append(comment)
        return shown


def shell_blocks(document: Path) -> list[Block]:
    return [Block(document, match.group(2)) for match in FENCE.finditer(document.read_text())
            if match.group(1) in SHELLS]


def runnable(document: Path) -> list[Block]:
    return [block for block in shell_blocks(document) if block.first_line not in NOT_RUN]


def test_every_block_not_run_is_still_in_the_docs():
    # So an entry of NOT_RUN cannot outlive its block and hide a new one.
    first_lines = {block.first_line for document in DOCUMENTS
                   for block in shell_blocks(document)}
    assert set(NOT_RUN) <= first_lines


@pytest.mark.parametrize("document", [d for d in DOCUMENTS if runnable(d)],
                         ids=lambda d: d.name)
def test_shell_snippets_run_as_written(tmp_path, document):
    (tmp_path / "server").mkdir()
    server = start_server(tmp_path / "server", workers=1)
    try:
        port = server.base_url.rsplit(":", 1)[1]
        home = tmp_path / "home"
        home.mkdir()
        (home / ".curlrc").write_text(
            f'connect-to = "127.0.0.1:8000:127.0.0.1:{port}"\n'
            "fail-with-body\nsilent\nshow-error\n")
        work = tmp_path / "checkout"
        work.mkdir()
        (work / ".venv").symlink_to(Path(sys.prefix))
        for name, content in GIVEN_FILES.items():
            (work / name).write_text(content)
        blocks = runnable(document)
        script = "set -eo pipefail\n" + "\n".join(block.text for block in blocks)
        env = {**os.environ, "HOME": str(home), "CURL_HOME": str(home),
               "DATABASE_URL": f"sqlite:///{server.db_path}"}
        done = subprocess.run(["bash", "-c", script], cwd=work, env=env, capture_output=True,
                              text=True, timeout=300)
        assert done.returncode == 0, f"{done.stdout}\n{done.stderr}"
        for block in blocks:
            for shown in block.expected_outputs():
                assert shown in done.stdout, (shown, done.stdout)
        if document.name == "README.md":
            assert "rotated" in done.stdout and "revoked" in done.stdout  # keys list ran
    finally:
        stop_server(server)
