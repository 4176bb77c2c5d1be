"""The `autocompeter` command, run as users run it."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def cli(tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}"}

    def run(*args: str, **extra_env: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "app.cli", *args], cwd=ROOT,
                              env={**env, **extra_env}, capture_output=True, text=True,
                              timeout=60)

    return run


def test_keys_create_prints_only_the_key_and_stores_only_its_hash(cli, tmp_path):
    result = cli("keys", "create", "a.example")
    assert result.returncode == 0, result.stderr
    key = result.stdout.strip()
    assert len(key) >= 32 and "\n" not in key
    assert key.encode() not in (tmp_path / "cli.db").read_bytes()
    listing = cli("keys", "list").stdout
    assert "a.example" in listing and key[:8] in listing and key not in listing


def assert_one_line_refusal(result: subprocess.CompletedProcess, what: str) -> None:
    assert result.returncode == 2
    assert result.stderr.startswith(f"autocompeter: {what}: ")
    assert result.stderr.count("\n") == 1, result.stderr


@pytest.mark.parametrize("domain", ["", " b.example", "b\nexample", "b_c.example",
                                    "x" * 300, "a..b", "b-.example", "b.example:8000"])
def test_keys_create_refuses_an_invalid_domain_in_one_line(cli, domain):
    assert_one_line_refusal(cli("keys", "create", domain), "domain")
    assert cli("keys", "list").stdout == ""


@pytest.mark.parametrize("command", ["load FILE --domain", "export", "stats"])
def test_other_commands_refuse_an_invalid_domain_in_one_line(cli, tmp_path, command):
    data = tmp_path / "titles.json"
    data.write_text(json.dumps({"documents": [{"url": "/1", "title": "One"}]}))
    words = [str(data) if word == "FILE" else word for word in command.split()]
    assert_one_line_refusal(cli(*words, "bad domain.example"), "domain")


def test_domains_are_stored_in_one_spelling(cli, tmp_path):
    data = tmp_path / "titles.json"
    data.write_text(json.dumps({"documents": [{"url": "/1", "title": "One"}]}))
    assert cli("keys", "create", "Bücher.EXAMPLE.").returncode == 0
    assert cli("load", str(data), "--domain", "BÜCHER.example").returncode == 0
    assert cli("keys", "list").stdout.startswith("xn--bcher-kva.example\t")
    assert cli("stats", "xn--bcher-kva.example").stdout.startswith(
        "xn--bcher-kva.example: 1 document")


def test_keys_revoke_marks_the_key_revoked(cli):
    key = cli("keys", "create", "a.example").stdout.strip()
    assert cli("keys", "revoke", key).returncode == 0
    assert "revoked" in cli("keys", "list").stdout
    again = cli("keys", "revoke", key)
    assert again.returncode == 2 and "no live key" in again.stderr


def test_load_reads_documents_or_items_and_reports_rejects(cli, tmp_path):
    data = tmp_path / "titles.json"
    data.write_text(json.dumps({"items": [
        {"url": "/1", "title": "One"}, {"url": "/2", "title": ""}, {"url": "/3", "title": "Three"},
    ]}))
    result = cli("load", str(data), "--domain", "a.example")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "loaded 2, rejected 1"
    assert "#1: title:" in result.stderr


def test_load_of_a_bad_file_is_one_clear_line(cli, tmp_path):
    data = tmp_path / "bad.json"
    data.write_text("[]")
    result = cli("load", str(data), "--domain", "a.example")
    assert result.returncode == 2
    assert result.stderr.startswith("autocompeter: ") and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "env, name",
    [({"PORT": "eighty"}, "PORT"), ({"DATABASE_URL": "mysql://db"}, "DATABASE_URL"),
     ({"WORKERS": "0"}, "WORKERS")],
)
def test_a_bad_setting_stops_with_one_line(cli, env, name):
    result = cli("migrate", **env)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and name in lines[0] and "Traceback" not in result.stderr


def test_every_subcommand_has_help(cli):
    for args in (["--help"], ["serve", "--help"], ["keys", "create", "--help"],
                 ["load", "--help"], ["migrate", "--help"]):
        result = cli(*args)
        assert result.returncode == 0 and "usage:" in result.stdout


def test_a_database_of_another_schema_version_is_refused_in_one_line(cli, tmp_path):
    import sqlite3

    assert cli("migrate").returncode == 0
    conn = sqlite3.connect(tmp_path / "cli.db")
    conn.execute("PRAGMA user_version = 0")  # as a file made before versions were kept
    conn.commit()
    conn.close()
    result = cli("keys", "list")
    assert result.returncode == 2
    assert "schema version 0" in result.stderr and "Traceback" not in result.stderr


def test_keys_are_long_plain_and_never_look_like_an_option():
    from core.keys import new_key

    keys = [new_key() for _ in range(2000)]
    assert len(set(keys)) == len(keys)
    assert all(len(key) == 32 and key.isalnum() and key.isascii() for key in keys)
