"""A full disk under the embedded setup: writes answer 503, and a flush still frees
space (issue 12 item 14). The disk is a real, small tmpfs, which needs root to mount."""

import dataclasses
import errno
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from live import LiveServer, start_server, stop_server

DISK_MB = 64


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    disk = tmp_path / "disk"
    disk.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={DISK_MB}m", "tmpfs", str(disk)],
                   check=True)
    yield disk
    subprocess.run(["umount", "-l", str(disk)], check=True)


@pytest.fixture
def server_on_small_disk(tmp_path: Path, small_disk: Path) -> Iterator[LiveServer]:
    db_path = small_disk / "autocompeter.db"
    server = start_server(tmp_path, workers=1, DATABASE_URL=f"sqlite:///{db_path}")
    yield dataclasses.replace(server, db_path=db_path)
    stop_server(server)


def fill(disk: Path) -> None:
    """Write a file until the file system says it is full."""
    chunk = b"\0" * 65536
    fd = os.open(disk / "filler", os.O_WRONLY | os.O_CREAT)
    try:
        while True:
            os.write(fd, chunk)
    except OSError as error:
        assert error.errno == errno.ENOSPC
    finally:
        os.close(fd)


def bulk(client: httpx.Client, key: str, prefix: str, count: int = 2000) -> httpx.Response:
    documents = [{"url": f"/{prefix}/{i}", "title": f"{prefix} title number {i} " * 3}
                 for i in range(count)]
    return client.post("/v1/bulk", headers={"Auth-Key": key}, json={"documents": documents})


def test_a_full_disk_is_a_503_and_a_flush_frees_space(server_on_small_disk, small_disk):
    server = server_on_small_disk
    big, other = server.create_key("big.example"), server.create_key("other.example")
    with httpx.Client(base_url=server.base_url, timeout=60) as client:
        for batch in range(3):
            assert bulk(client, big, f"big{batch}").status_code == 201
        assert (small_disk / "autocompeter.db-reserve").exists()
        fill(small_disk)
        statuses = []
        for batch in range(20):  # until a write meets the full disk
            response = bulk(client, other, f"other{batch}")
            statuses.append(response.status_code)
            if response.status_code != 201:
                break
        assert statuses[-1] == 503, statuses
        assert response.headers["retry-after"]
        assert "unavailable" in response.json()["error"]
        assert "Traceback" not in server.log()

        flushed = client.delete("/v1/flush", headers={"Auth-Key": big})
        assert flushed.status_code == 200, flushed.text
        assert flushed.json()["count"] == 6000
        added = client.post("/v1", headers={"Auth-Key": other},
                            json={"url": "/after", "title": "Written after the flush"})
        assert added.status_code == 201, added.text
        found = client.get("/v1", params={"d": "other.example", "q": "written after"})
        assert found.json()["results"] == [["/after", "Written after the flush"]]
