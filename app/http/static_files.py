"""Files under /static/ as they go on the wire: gzip for text (compressed once per
file version, kept in memory), a validator (weak ETag and Last-Modified) on each,
and content-hashed names that may be cached for a year.

`autocompeter.<hash>.min.js` is `autocompeter.min.js` under a name that holds the
first 10 hex digits of its SHA-256: a browser may keep it for a year, since a new
build has a new name. The service's own pages (`/`, `/dashboard`) load the widget
by that name (`page_with_hashed_widget`); snippets pasted into other sites use the
stable `/static/autocompeter.min.js`, which, like every other name, browsers
revalidate on use (`no-cache`: an unchanged file costs a 304 with no body).
"""

import gzip
import hashlib
import mimetypes
import re
from dataclasses import dataclass
from email.utils import formatdate, parsedate_to_datetime
from pathlib import Path

from sanic.compat import Header
from sanic.response import HTTPResponse

STATIC_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*(\.[A-Za-z0-9]+)+")
# `<stem>.<10 hex digits>.<rest>` names the file `<stem>.<rest>` with that digest.
HASHED_NAME = re.compile(r"(?P<stem>[^.]+)\.(?P<digest>[0-9a-f]{10})\.(?P<rest>.+)")
DIGEST_LENGTH = 10

WIDGET = "autocompeter.min.js"
# How the service's own pages name the widget; swapped for the hashed name when served.
WIDGET_REFERENCE = f'"/static/{WIDGET}"'

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
COMPRESSIBLE_SUFFIXES = frozenset({".js", ".mjs", ".css", ".html", ".json", ".svg", ".txt"})
TYPES = {".js": "text/javascript", ".mjs": "text/javascript"}


@dataclass(frozen=True)
class StaticFile:
    version: tuple[int, int]  # (st_mtime_ns, st_size) of the file it was read from
    body: bytes
    gzipped: bytes | None  # None when gzip would not make it smaller
    digest: str  # hex SHA-256 of body
    last_modified: float
    content_type: str

    @property
    def etag(self) -> str:
        # Weak: the gzipped and the plain body are the same file, not the same bytes.
        return f'W/"{self.digest[:16]}"'


_files: dict[Path, StaticFile] = {}


def static_path(static_dir: Path, name: str) -> tuple[Path, str | None] | None:
    """The file a name under /static/ means, and the digest the name asks for (if hashed)."""
    # static/ is one flat directory of plain names: anything else (an empty name,
    # ".", a NUL byte, a path) is simply not one of its files.
    if not STATIC_NAME.fullmatch(name):
        return None
    if (path := static_dir / name).is_file():
        return path, None
    hashed = HASHED_NAME.fullmatch(name)
    if hashed and (path := static_dir / f"{hashed['stem']}.{hashed['rest']}").is_file():
        return path, hashed["digest"]
    return None


def read_static(path: Path) -> StaticFile:
    """The file as sent, read and compressed again only when it changed on disk."""
    stat = path.stat()
    version = (stat.st_mtime_ns, stat.st_size)
    known = _files.get(path)
    if known is not None and known.version == version:
        return known
    body = path.read_bytes()
    _files[path] = read = StaticFile(
        version=version, body=body, gzipped=compressed(path, body),
        digest=hashlib.sha256(body).hexdigest(), last_modified=stat.st_mtime,
        content_type=content_type(path))
    return read


def compressed(path: Path, body: bytes) -> bytes | None:
    if path.suffix not in COMPRESSIBLE_SUFFIXES:
        return None
    # mtime=0: the same file gives the same bytes, whenever it is compressed.
    packed = gzip.compress(body, compresslevel=9, mtime=0)
    return packed if len(packed) < len(body) else None


def content_type(path: Path) -> str:
    guessed = TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0]
    if guessed is None:
        return "application/octet-stream"
    return f"{guessed}; charset=utf-8" if guessed.startswith("text/") else guessed


def static_response(headers: Header, path: Path,
                    asked_digest: str | None) -> HTTPResponse:
    """GET and HEAD alike (Sanic leaves out the body of a HEAD's answer)."""
    sent = read_static(path)
    # A hashed name of an older build still gets the file, but not for a year.
    immutable = asked_digest is not None and sent.digest.startswith(asked_digest)
    common = {
        "cache-control": IMMUTABLE if immutable else REVALIDATE,
        "etag": sent.etag,
        "last-modified": formatdate(sent.last_modified, usegmt=True),
    }
    if sent.gzipped is not None:
        common["vary"] = "Accept-Encoding"
    if unchanged(headers, sent):
        return HTTPResponse(status=304, headers=common)
    if sent.gzipped is not None and accepts_gzip(headers.get("accept-encoding", "")):
        return HTTPResponse(sent.gzipped, content_type=sent.content_type,
                            headers={**common, "content-encoding": "gzip"})
    return HTTPResponse(sent.body, content_type=sent.content_type, headers=common)


def unchanged(headers: Header, sent: StaticFile) -> bool:
    """The client's copy is current: If-None-Match first, else If-Modified-Since."""
    if (tags := headers.get("if-none-match")) is not None:
        asked = {tag.strip().removeprefix("W/") for tag in tags.split(",")}
        return "*" in asked or sent.etag.removeprefix("W/") in asked
    if (since := headers.get("if-modified-since")) is None:
        return False
    try:
        return int(sent.last_modified) <= parsedate_to_datetime(since).timestamp()
    except (TypeError, ValueError):
        return False


def accepts_gzip(accept_encoding: str) -> bool:
    """gzip listed (or else *) without q=0."""
    qualities = {}
    for part in accept_encoding.lower().split(","):
        coding, _, params = part.partition(";")
        quality = params.strip()
        qualities[coding.strip()] = quality.removeprefix("q=") if quality.startswith("q=") else "1"
    quality = qualities.get("gzip", qualities.get("*", "0"))
    try:
        return float(quality) > 0
    except ValueError:
        return False


def hashed_widget_url(static_dir: Path) -> str:
    """/static/autocompeter.<hash>.min.js for the widget as built now."""
    digest = read_static(static_dir / WIDGET).digest[:DIGEST_LENGTH]
    stem, rest = WIDGET.split(".", 1)
    return f"/static/{stem}.{digest}.{rest}"


def page_with_hashed_widget(static_dir: Path, page: str) -> str:
    """One of the service's own pages, loading the widget by its hashed name."""
    html = read_static(static_dir / page).body.decode("utf-8")
    return html.replace(WIDGET_REFERENCE, f'"{hashed_widget_url(static_dir)}"')
