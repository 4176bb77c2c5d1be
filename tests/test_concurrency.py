"""Two workers and many concurrent writers on one SQLite file: no lost or failed write."""

from concurrent.futures import ThreadPoolExecutor

import httpx


def test_concurrent_writes_and_reads_never_fail(site, server):
    def write(i: int) -> tuple[int, int]:
        with httpx.Client(base_url=server.base_url, timeout=30) as http:
            if i % 10 == 0:
                response = http.post("/v1/bulk", headers=site.auth, json={"documents": [
                    {"url": f"/bulk/{i}/{j}", "title": f"Bulk title {i} {j}"} for j in range(50)
                ]})
            else:
                response = http.post("/v1", headers=site.auth,
                                     json={"url": f"/one/{i}", "title": f"Single title {i}"})
            read = http.get("/v1", params={"d": site.domain, "q": "title"})
            return response.status_code, read.status_code

    with ThreadPoolExecutor(16) as pool:
        statuses = list(pool.map(write, range(200)))
    assert statuses == [(201, 200)] * 200
    stats = site.client.get("/v1/stats", headers=site.auth).json()
    assert stats["documents"] == 180 + 20 * 50
    assert "database is locked" not in server.log()
