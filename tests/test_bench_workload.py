"""The distinct-query workload of bench/: its rules, and wrk never repeating it."""

import shutil
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import orjson
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

from distinct import DISTINCT_SCRIPT
from latency import CORRECTED, FULL, UNCORRECTED, kind_of
from processes import Wrk
from workload import generate, one_word_only, title_words, write_paths

TITLES = [
    "python3-requests — elegant and simple HTTP library for Python",
    "libxml2-dev — GNOME XML library, development files",
    "gnome-shell-extensions — extensions to extend functionality of GNOME Shell",
    "fonts-dejavu-core — Vera font family derivate with additional characters",
    "perl-modules-5.36 — core Perl modules",
    "zstd — fast lossless compression algorithm, command-line tool",
]
DOCUMENTS = [
    {"url": f"https://x.example/{i}", "title": title, "popularity": i, "group": ""}
    for i, title in enumerate(TITLES)
]


def test_the_stream_follows_the_rules_and_never_repeats():
    stream = generate(DOCUMENTS, count=300, one_word_share=0.6, seed=11)

    assert len(stream) == len(set(stream)) == 300
    assert len(one_word_only(stream)) == 180
    assert stream == generate(DOCUMENTS, count=300, one_word_share=0.6, seed=11)
    assert stream != generate(DOCUMENTS, count=300, one_word_share=0.6, seed=12)
    titles = [title_words(title) for title in TITLES]
    for query in stream:
        if " " not in query:
            assert len(query) >= 2
            assert any(word.startswith(query) for words in titles for word in words), query
        else:
            whole, prefix = query.split(" ")
            assert any(
                words[i] == whole and words[i + 1].startswith(prefix)
                for words in titles
                for i in range(len(words) - 1)
            ), query


def test_the_kinds_of_answer_the_latency_table_splits():
    def body(terms: list[str], hits: int) -> bytes:
        return orjson.dumps({"terms": terms, "results": [["u", "t"]] * hits})

    assert kind_of("pyt", body(["pyt"], 10)) == FULL
    assert kind_of("pyhton", body(["pyhton", "python"], 3)) == CORRECTED
    assert kind_of("python mo", body(["python", "mo"], 2)) == UNCORRECTED
    assert kind_of("zzqx", body(["zzqx"], 0)) == UNCORRECTED


class Recorder(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), RecordingHandler)
        self.queries: list[str] = []
        self.lock = threading.Lock()


class RecordingHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as wrk expects
    server: Recorder

    def do_GET(self) -> None:
        query = parse_qs(urlsplit(self.path).query)["q"][0]
        with self.server.lock:
            self.server.queries.append(query)
        body = b'{"terms": [], "results": []}'
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    if shutil.which("wrk") is None:
        pytest.skip("wrk is not installed (make bench installs it)")
    server = Recorder()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def wrk_against(recorder: Recorder, queries: list[str], tmp_path: Path) -> int | None:
    paths = write_paths(queries, "bench0.example", tmp_path / "stream.paths")
    wrk = Wrk(1, DISTINCT_SCRIPT, [str(paths), "2"])
    result = wrk.run(f"http://127.0.0.1:{recorder.server_address[1]}/", 4)
    return result.repeated


def test_each_wrk_thread_walks_its_own_slice_without_repeats(recorder, tmp_path):
    # Far more queries than the small recording server answers in one second.
    queries = [f"q{i}" for i in range(200_000)]

    repeated = wrk_against(recorder, queries, tmp_path)

    assert repeated == 0
    assert recorder.queries and len(recorder.queries) == len(set(recorder.queries))
    first_half = {f"q{i}" for i in range(100_000)}
    assert any(q in first_half for q in recorder.queries)
    assert any(q not in first_half for q in recorder.queries)


def test_a_thread_past_its_slice_starts_again_and_says_so(recorder, tmp_path):
    queries = [f"q{i}" for i in range(10)]

    repeated = wrk_against(recorder, queries, tmp_path)

    assert set(recorder.queries) == set(queries)
    assert repeated is not None and repeated >= len(recorder.queries) - len(queries)
