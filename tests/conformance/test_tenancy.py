"""A key for one domain can never change or read another domain's titles."""


def snapshot(site):
    stats = site.client.get("/v1/stats", headers=site.auth).json()
    results = site.search("tenant", n=100).json()["results"]
    return stats["documents"], sorted(map(tuple, results))


def test_every_keyed_path_of_one_domain_leaves_the_other_untouched(any_site,
                                                                   other_site_on_same_server):
    a, b = any_site, other_site_on_same_server
    b.bulk([{"url": "/shared", "title": "Tenant B shared", "popularity": 5},
            {"url": "/only-b", "title": "Tenant B only", "group": "private"}])
    for _ in range(3):
        b.search("tenant")
    before = snapshot(b)

    # Everything a.com's key can do, aimed at b.com's URLs.
    assert a.add("/shared", "Tenant A takes the URL").status_code == 201
    assert a.bulk([{"url": "/only-b", "title": "Tenant A too"},
                   {"url": "/shared", "title": "Tenant A again"}]).status_code == 201
    assert a.client.delete("/v1", params={"url": "/only-b"}, headers=a.auth).status_code == 200
    assert a.client.delete("/v1", params={"url": "/only-b"}, headers=a.auth).status_code == 404
    assert a.client.put("/v1/bulk", json={"documents": [{"url": "/shared", "title": "Put"}]},
                        headers=a.auth).status_code == 201
    assert a.client.delete("/v1/flush", headers=a.auth).json()["count"] == 1
    a_stats = a.client.get("/v1/stats", headers=a.auth).json()

    assert snapshot(b) == before
    assert ["/only-b", "Tenant B only"] in b.search("tenant", g="private").json()["results"]
    assert a_stats["documents"] == 0
    assert all(entry["q"] != "tenant" for entry in a_stats.get("top_queries", []))
    assert a.search("tenant", g="private").json()["results"] == []
