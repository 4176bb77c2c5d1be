"""The `autocompeter` command, run as users run it."""

import json
import os
import socket
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
    assert [row["domain"] for row in listing(cli)] == ["xn--bcher-kva.example"]
    assert cli("stats", "xn--bcher-kva.example").stdout.startswith(
        "xn--bcher-kva.example: 1 document")


def test_keys_revoke_marks_the_key_revoked(cli):
    key = cli("keys", "create", "a.example").stdout.strip()
    assert cli("keys", "revoke", key).returncode == 0
    assert "revoked" in cli("keys", "list").stdout
    again = cli("keys", "revoke", key)
    assert again.returncode == 2 and "no live key" in again.stderr


def listing(cli) -> list[dict[str, str]]:
    """`keys list` read back as its header row names the columns."""
    import re

    header, *rows = cli("keys", "list").stdout.splitlines()
    columns = list(re.finditer(r"\S+(?: \S+)*", header))  # "last used" is one name
    ends = [column.start() for column in columns[1:]] + [None]
    return [{column.group(): row[column.start():end].strip()
             for column, end in zip(columns, ends, strict=True)} for row in rows]


def test_keys_list_is_a_table_with_a_header(cli):
    key = cli("keys", "create", "a.example", "--note", "for Ann").stdout.strip()
    cli("keys", "create", "b.example")
    header = cli("keys", "list").stdout.splitlines()[0].split()
    assert header[:4] == ["id", "key", "domain", "note"] and "state" in header
    assert "last" in header and "used" in header and "created" in header
    first, second = listing(cli)
    assert first["key"] == f"{key[:8]}…" and first["domain"] == "a.example"
    assert first["note"] == "for Ann" and first["last used"] == "never"
    assert first["state"] == "live" and second["domain"] == "b.example"


@pytest.mark.parametrize("how", ["id", "prefix", "prefix as shown", "longer prefix"])
def test_keys_revoke_takes_the_id_or_the_prefix_that_keys_list_shows(cli, how):
    key = cli("keys", "create", "a.example").stdout.strip()
    other = cli("keys", "create", "a.example").stdout.strip()
    (row, _) = listing(cli)
    given = {"id": row["id"], "prefix": key[:8], "prefix as shown": row["key"],
             "longer prefix": key[:12]}[how]
    result = cli("keys", "revoke", given)
    assert result.returncode == 0, result.stderr
    assert f"revoked id {row['id']} (a.example, {key[:8]}…" in result.stderr
    states = [entry["state"] for entry in listing(cli)]
    assert states[0].startswith("revoked") and states[1] == "live"
    assert other  # untouched


def test_keys_revoke_refuses_short_unknown_and_ambiguous_prefixes(cli, tmp_path):
    import sqlite3

    first = cli("keys", "create", "a.example").stdout.strip()
    cli("keys", "create", "b.example")
    short = cli("keys", "revoke", first[:7])
    assert short.returncode == 2 and "first 8 characters" in short.stderr
    unknown = cli("keys", "revoke", "zzzzzzzz")
    assert unknown.returncode == 2 and "no key has the id or prefix" in unknown.stderr
    # Two live keys sharing their first 8 characters: rare, but then a prefix names neither.
    conn = sqlite3.connect(tmp_path / "cli.db")
    conn.execute("UPDATE keys SET prefix = ? WHERE id = 2", (first[:8],))
    conn.commit()
    conn.close()
    ambiguous = cli("keys", "revoke", first[:8])
    assert ambiguous.returncode == 2
    assert "matches 2 live keys" in ambiguous.stderr
    assert "id 1 (a.example" in ambiguous.stderr and "id 2 (b.example" in ambiguous.stderr
    assert all(entry["state"] == "live" for entry in listing(cli))


def test_a_database_from_before_last_used_is_upgraded_not_refused(cli, tmp_path):
    import sqlite3

    from embedded.store import SCHEMA_VERSION

    key = cli("keys", "create", "a.example").stdout.strip()
    conn = sqlite3.connect(tmp_path / "cli.db")
    conn.execute("ALTER TABLE keys DROP COLUMN last_used_at")  # as version 2 made it
    conn.execute("DROP TABLE private_groups")  # added by version 4
    conn.execute("DROP TABLE token_secrets")
    conn.executescript("""
        DROP INDEX documents_clicked; DROP TABLE click_counts; DROP TABLE clicks_seen;
        ALTER TABLE documents DROP COLUMN ranking; ALTER TABLE documents DROP COLUMN clicks;
    """)  # added by version 5
    conn.execute("PRAGMA user_version = 2")
    conn.commit()
    conn.close()
    result = cli("keys", "list")
    assert result.returncode == 0, result.stderr
    assert listing(cli)[0]["key"] == f"{key[:8]}…"
    conn = sqlite3.connect(tmp_path / "cli.db")
    assert conn.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
    assert "last_used_at" in {row[1] for row in conn.execute("PRAGMA table_info(keys)")}
    conn.close()


LOAD_FORMATS = {
    "documents.json": '{"documents": [{"url": "/1", "title": "One", "popularity": 3},'
                      ' {"url": "/2", "title": "Two", "group": "staff"}]}',
    "items.json": '{"items": [{"url": "/1", "title": "One", "popularity": 3},'
                  ' {"url": "/2", "title": "Two", "group": "staff"}]}',
    "list.json": '[{"url": "/1", "title": "One", "popularity": 3},'
                 ' {"url": "/2", "title": "Two", "group": "staff"}]',
    "titles.jsonl": '{"url": "/1", "title": "One", "popularity": 3}\n\n'
                    '{"url": "/2", "title": "Two", "group": "staff"}\n',
    "titles.csv": "url,title,popularity,group\r\n/1,One,3,\r\n/2,Two,,staff\r\n",
    "bom-short-header.csv": "\ufeffURL,Title\n/1,One\n/2,Two\n",
    # As the dashboard's upload reads it: without a header, the columns in this order.
    "no-header.csv": "/1,One,3\r\n/2,Two,,staff\r\n",
    "other-order.csv": "group,title,url,popularity\n,One,/1,3\nstaff,Two,/2,\n",
}


@pytest.mark.parametrize("name", LOAD_FORMATS)
def test_load_reads_every_listed_format(cli, tmp_path, name):
    data = tmp_path / name
    data.write_text(LOAD_FORMATS[name], encoding="utf-8")
    result = cli("load", str(data), "--domain", "a.example")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "loaded 2, rejected 0"
    exported = json.loads(cli("export", "a.example").stdout)["documents"]
    by_url = {entry["url"]: entry for entry in exported}
    assert by_url["/1"]["title"] == "One" and by_url["/2"]["title"] == "Two"
    if "short" not in name:
        assert by_url["/1"]["popularity"] == 3 and by_url["/2"]["group"] == "staff"


@pytest.mark.parametrize("name, text, where", [
    ("t.jsonl", '{"url": "/1", "title": "One"}\n{"url": "nope", "title": "Two"}\n', "line 2"),
    ("t.csv", "url,title\n/1,One\nnope,Two\n", "line 3"),
    ("no-header.csv", "/1,One\n\nnope,Two\n", "line 3"),
    ("t.json", '[{"url": "/1", "title": "One"}, {"url": "nope", "title": "Two"}]', "#1"),
])
def test_load_names_the_line_or_position_of_a_rejected_entry(cli, tmp_path, name, text, where):
    data = tmp_path / name
    data.write_text(text)
    result = cli("load", str(data), "--domain", "a.example")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "loaded 1, rejected 1"
    assert f"rejected {where}: url: must be an http(s) URL" in result.stderr


def test_load_help_lists_the_formats(cli):
    help_text = cli("load", "--help").stdout
    for shown in ('{"documents"', '{"items"', "JSON list", "JSON Lines",
                  "url,title[,popularity][,group]"):
        assert shown in help_text


# A file whose first line is not JSON is broken JSON, not JSON Lines with bad lines.
@pytest.mark.parametrize("text", ["hello\nworld\n", '{"documents": [\n{"url": "/1"}\n',
                                  '{"url": "/1",\n "title": "One"\n', "[1, 2"])
def test_load_of_a_bad_file_is_one_clear_line(cli, tmp_path, text):
    data = tmp_path / "bad.txt"
    data.write_text(text)
    result = cli("load", str(data), "--domain", "a.example")
    assert result.returncode == 2
    assert result.stderr.startswith("autocompeter: ") and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_load_lists_and_skips_a_json_lines_line_that_is_not_json(cli, tmp_path):
    data = tmp_path / "titles.jsonl"
    data.write_text('{"url": "/1", "title": "One"}\n{not json\n\n'
                    '{"url": "/3", "title": "Three"\n{"url": "/4", "title": "Four"}\n')
    result = cli("load", str(data), "--domain", "a.example")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "loaded 2, rejected 2"
    rejected = [line for line in result.stderr.splitlines() if line.startswith("rejected ")]
    assert [line.split(":")[0] for line in rejected] == ["rejected line 2", "rejected line 4"]
    assert all("not JSON" in line for line in rejected), rejected
    assert "Traceback" not in result.stderr
    exported = json.loads(cli("export", "a.example").stdout)["documents"]
    assert sorted(entry["url"] for entry in exported) == ["/1", "/4"]


def test_load_rejects_a_csv_line_with_a_field_past_the_csv_limit_and_keeps_the_rest(
        cli, tmp_path):
    """Python's csv module stops a whole file at a field over 131,072 characters."""
    huge = "x" * 131_073
    data = tmp_path / "titles.csv"
    data.write_text(f'url,title,popularity\n/1,One,1\n/2,"{huge}",2\n/3,Three,3\n'
                    f'/{huge},Four,4\n/5,Five,{huge}\n/6,Six,6\n')
    result = cli("load", str(data), "--domain", "a.example")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout.strip() == "loaded 3, rejected 3"
    rejected = [line for line in result.stderr.splitlines() if line.startswith("rejected ")]
    assert [line.split(":")[0] for line in rejected] == [
        "rejected line 3", "rejected line 5", "rejected line 6"]
    exported = json.loads(cli("export", "a.example").stdout)["documents"]
    assert sorted(entry["url"] for entry in exported) == ["/1", "/3", "/6"]


def test_load_rejects_a_popularity_outside_the_range_by_line(cli, tmp_path):
    data = tmp_path / "titles.csv"
    data.write_text("url,title,popularity\n/1,One,1e15\n/2,Two,1.797e308\n/3,Three,-2e15\n")
    result = cli("load", str(data), "--domain", "a.example")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "loaded 1, rejected 2"
    assert "rejected line 3: popularity: must be between" in result.stderr
    assert "rejected line 4: popularity: must be between" in result.stderr


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


def test_serve_on_a_busy_port_says_so_in_one_line_and_fails(cli):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = cli("serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1")
    assert result.returncode != 0
    assert "Traceback" not in result.stderr, result.stderr
    assert "serving at" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines == [f"autocompeter: cannot listen on 127.0.0.1:{port}: the port is in use "
                     "(another program listens there; choose another with --port or PORT)"
                     ], result.stderr


def test_every_subcommand_has_help(cli):
    for args in (["--help"], ["serve", "--help"], ["keys", "create", "--help"],
                 ["load", "--help"], ["migrate", "--help"], ["tokens", "create", "--help"]):
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


def test_tokens_secret_rotate_and_create(cli):
    from core.tokens import granted_groups, signing_key

    assert cli("keys", "create", "t.example").returncode == 0
    secret = cli("tokens", "secret", "T.Example.").stdout.strip()  # one spelling of the domain
    assert len(secret) == 43 and secret.isalnum()
    assert cli("tokens", "secret", "t.example").stdout.strip() == secret  # made once
    made = cli("tokens", "create", "t.example", "--groups", "staff, editors", "--ttl", "60")
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip()
    assert granted_groups(token, "t.example", signing_key(secret), 0) == {"staff", "editors"}
    rotated = cli("tokens", "rotate", "t.example")
    assert rotated.returncode == 0 and "grant nothing" in rotated.stderr
    assert rotated.stdout.strip() not in ("", secret)
    assert granted_groups(token, "t.example", signing_key(rotated.stdout.strip()), 0) == set()


@pytest.mark.parametrize("args, what", [
    (["tokens", "secret", "unknown.example"], "no domain 'unknown.example'"),
    (["tokens", "rotate", "unknown.example"], "no domain 'unknown.example'"),
    (["tokens", "create", "unknown.example", "--groups", "staff"],
     "no domain 'unknown.example'"),
    (["tokens", "create", "t.example", "--groups", "a,,b"], "--groups"),
    (["tokens", "create", "t.example", "--groups", "staff", "--ttl", "0"], "--ttl"),
    (["tokens", "create", "bad domain", "--groups", "staff"], "domain"),
])
def test_tokens_refuse_in_one_line(cli, args, what):
    assert cli("keys", "create", "t.example").returncode == 0
    result = cli(*args)
    assert result.returncode == 2
    assert result.stderr.startswith(f"autocompeter: {what}"), result.stderr
    assert result.stderr.count("\n") == 1, result.stderr


def test_keys_list_runs_without_loading_the_http_server(tmp_path):
    """app/cli/main.py: a command that only talks to the store must not pay for
    importing Sanic (nor the HTTP service behind it); only `serve` loads it."""
    probe = ("import sys; from app.cli import main; status = main(['keys', 'list']); "
             "loaded = sorted(m for m in sys.modules if m == 'sanic' or m.startswith("
             "('sanic.', 'app.http'))); print(loaded); sys.exit(status)")
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True,
                            text=True, timeout=60,
                            env={**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'k.db'}"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
