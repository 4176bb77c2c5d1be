"""Pages per second of `autocompeter import` against a local site.

Serves a sitemap of PAGES small HTML pages from a threaded HTTP server on this
machine (so the figure is the importer's own cost, not a network's), runs the
command as users do into a fresh SQLite file, and prints the wall time of the
whole command (process start included) and pages per second.

    .venv/bin/python bench/import_pages.py [PAGES]
"""

import os
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def serve(pages: int) -> tuple[ThreadingHTTPServer, str]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as real sites answer

        def do_GET(self) -> None:
            if self.path == "/sitemap.xml":
                base = f"http://127.0.0.1:{self.server.server_address[1]}"
                rows = "".join(f"<url><loc>{base}/p/{n}</loc><lastmod>2026-01-01</lastmod></url>"
                               for n in range(pages))
                body = f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{rows}' \
                       "</urlset>"
                kind = "application/xml"
            elif self.path.startswith("/p/"):
                body = (f"<!doctype html><html><head><title>Page {self.path[3:]} of the site"
                        "</title><meta property='og:title' content='x'></head><body>"
                        + "<p>Some text of the page.</p>" * 200 + "</body></html>")
                kind = "text/html; charset=utf-8"
            else:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            data = body.encode()
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/sitemap.xml"


def main() -> None:
    pages = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    server, url = serve(pages)
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp}/bench.db"}
        started = time.perf_counter()
        result = subprocess.run([sys.executable, "-m", "app.cli", "import", url,
                                 "--domain", "bench.example"], cwd=ROOT, env=env,
                                capture_output=True, text=True, check=False)
        elapsed = time.perf_counter() - started
    server.shutdown()
    if result.returncode != 0:
        sys.exit(result.stderr)
    print(result.stderr.strip().splitlines()[-1])
    print(f"{pages} pages in {elapsed:.2f} s: {pages / elapsed:.0f} pages/s")


if __name__ == "__main__":
    main()
