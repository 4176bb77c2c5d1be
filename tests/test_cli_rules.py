"""`autocompeter synonyms show|set`, run as operators run it, against a live service's
database: what it sets is what `PUT /v1/synonyms` sets, it refuses what the route
refuses in the route's words, and searches use it (issue 28, item 4)."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from live import LiveServer, Site, new_site

ROOT = Path(__file__).resolve().parent.parent
TITLES = [{"url": "/js", "title": "JavaScript tips"},
          {"url": "/k8s", "title": "Kubernetes in production"}]
RULES = {"synonyms": [["JS", "JavaScript"]], "one_way": {"K8s": ["Kubernetes"]}}
FOLDED = {"synonyms": [["js", "javascript"]], "one_way": {"k8s": ["kubernetes"]}}


def autocompeter(server: LiveServer, *args: str, stdin: str = ""
                 ) -> subprocess.CompletedProcess:
    """`autocompeter ARGS` on the server's database, whatever its exit status."""
    return subprocess.run([sys.executable, "-m", "app.cli", *args], cwd=ROOT, input=stdin,
                          env={**os.environ, **server.database_env()},
                          capture_output=True, text=True, timeout=60)


def set_from_stdin(site: Site, body: object) -> subprocess.CompletedProcess:
    return autocompeter(site.server, "synonyms", "set", site.domain, "-",
                        stdin=json.dumps(body))


def shown(site: Site) -> dict:
    done = autocompeter(site.server, "synonyms", "show", site.domain)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def assert_refused(done: subprocess.CompletedProcess, message: str) -> None:
    assert (done.returncode, done.stdout) == (2, ""), done
    assert done.stderr == f"autocompeter: {message}\n"


def test_set_stores_what_the_api_stores_and_show_prints_it_back(site, tmp_path):
    assert shown(site) == {"domain": site.domain, "synonyms": [], "one_way": {}}
    done = set_from_stdin(site, RULES)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"domain": site.domain, **FOLDED}
    api = site.client.get("/v1/synonyms", headers=site.auth).json()
    assert api == shown(site) == {"domain": site.domain, **FOLDED}
    # What `show` prints, edited and given back as a file, replaces the rules.
    edited = shown(site)
    edited["synonyms"].append(["tv", "television"])
    saved = tmp_path / "rules.json"
    saved.write_text(json.dumps(edited))
    assert autocompeter(site.server, "synonyms", "set", site.domain,
                        str(saved)).returncode == 0
    assert site.client.get("/v1/synonyms", headers=site.auth).json() == edited


@pytest.mark.parametrize("body", [
    {"synonyms": [["new york", "nyc"]]},
    {"synonyms": [["js", "JS"]]},
    {"one_way": {"k8s": []}},
    {"synonym": [["js", "javascript"]]},
    {"synonyms": "js javascript"},
])
def test_a_refused_rule_is_the_api_s_error_in_one_line_and_changes_nothing(site, body):
    assert set_from_stdin(site, RULES).returncode == 0
    api = site.client.put("/v1/synonyms", json=body, headers=site.auth)
    assert api.status_code == 400
    assert_refused(set_from_stdin(site, body), api.json()["error"])
    assert shown(site) == {"domain": site.domain, **FOLDED}


def test_set_refuses_unreadable_files_and_another_domain_s_rules(site, other_site, tmp_path):
    server = site.server
    assert_refused(autocompeter(server, "synonyms", "set", site.domain, "-", stdin="[1"),
                   "-: not valid JSON: unexpected end of data: line 1 column 3 (char 2)")
    assert_refused(set_from_stdin(site, [["js", "javascript"]]),
                   "-: a JSON object, as the API's PUT body")
    missing = tmp_path / "missing.json"
    done = autocompeter(server, "synonyms", "set", site.domain, str(missing))
    assert done.returncode == 2 and done.stderr.startswith(f"autocompeter: cannot read {missing}")
    # A file `show` printed for one site is not set on another by mistake.
    assert_refused(set_from_stdin(other_site, {"domain": site.domain, **RULES}),
                   f"-: its domain is {site.domain!r}, not {other_site.domain!r}")
    assert_refused(autocompeter(server, "synonyms", "show", "nobody.example"),
                   "no domain 'nobody.example': autocompeter keys create nobody.example")
    assert_refused(set_from_stdin(Site("nobody.example", "", site.client, server), RULES),
                   "no domain 'nobody.example': autocompeter keys create nobody.example")


@pytest.mark.parametrize("setup", ["server", pytest.param("scaled_server",
                                                          marks=pytest.mark.scaled)])
def test_rules_set_by_the_cli_reach_the_searches(request, setup):
    """Embedded: at once (the store bumps the domain's generation). Scaled: within the
    engine's one-second generation, so the test waits for it, a few seconds at most."""
    server: LiveServer = request.getfixturevalue(setup)
    with httpx.Client(base_url=server.base_url, timeout=10) as http:
        site = new_site(server, http)
        assert site.bulk(TITLES).status_code == 201
        assert site.urls("js") == [] and site.urls("k8s") == []
        assert set_from_stdin(site, RULES).returncode == 0
        deadline = time.monotonic() + (0 if setup == "server" else 5)
        while (site.urls("js"), site.urls("k8s")) != (["/js"], ["/k8s"]):
            assert time.monotonic() < deadline, "the CLI's rules never reached the search"
            time.sleep(0.05)
        assert site.search("js").json()["terms"] == ["js", "javascript"]
        # One way: "kubernetes" does not find what only "k8s" names.
        assert site.urls("kubernetes") == ["/k8s"]


def set_suggestions(site: Site, body: object) -> subprocess.CompletedProcess:
    return autocompeter(site.server, "suggestions", "set", site.domain, "-",
                        stdin=json.dumps(body))


def test_suggestions_set_stores_what_the_api_stores_and_refuses_in_its_words(site):
    done = autocompeter(site.server, "suggestions", "show", site.domain)
    assert json.loads(done.stdout) == site.client.get(
        "/v1/suggestions", headers=site.auth).json()  # the defaults, never set
    done = set_suggestions(site, {"enabled": False, "min_count": 3, "exclude": ["Free", "free"]})
    assert done.returncode == 0, done.stderr
    stored = {"domain": site.domain, "enabled": False, "min_count": 3, "min_results": 1,
              "exclude": ["free"]}
    assert json.loads(done.stdout) == stored
    assert site.client.get("/v1/suggestions", headers=site.auth).json() == stored
    for body in ({"min_count": 0}, {"min_count": "2"}, {"enabled": 1}, {"exclude": [""]},
                 {"excluded": ["free"]}):
        api = site.client.put("/v1/suggestions", json=body, headers=site.auth)
        assert api.status_code == 400
        assert_refused(set_suggestions(site, body), api.json()["error"])
    assert json.loads(autocompeter(site.server, "suggestions", "show", site.domain).stdout
                      ) == stored


def test_suggestions_turned_off_by_the_cli_leave_the_searches(site):
    """Embedded, two workers: each builds its suggestions again a few seconds after the
    domain's generation moves (app/http/suggestions.py), so the test waits for that."""
    assert site.bulk(TITLES).status_code == 201
    for visitor in ("one", "two"):  # two intents: the default minimum count
        assert site.client.get("/v1", params={"d": site.domain, "q": "kubernetes"},
                               headers={"User-Agent": visitor}).status_code == 200

    deadline = time.monotonic() + 20  # an intent counts after a pause (README: intents)
    while [(row["q"], row["count"]) for row in site.client.get(
            "/v1/stats", headers=site.auth).json()["top_queries"]] != [("kubernetes", 2)]:
        assert time.monotonic() < deadline, "the searches never counted as intents"
        time.sleep(0.1)

    def suggested() -> list[str]:
        return site.search("ku", s=3).json()["suggestions"]

    # Each worker builds its suggestions in the background once a search asks.
    deadline = time.monotonic() + 15
    while suggested() != ["kubernetes"]:
        assert time.monotonic() < deadline, "kubernetes never suggested"
        time.sleep(0.1)
    assert set_suggestions(site, {"enabled": False}).returncode == 0
    deadline = time.monotonic() + 15
    while any(suggested() for _worker in range(4)):
        assert time.monotonic() < deadline, "suggestions stayed after the CLI turned them off"
        time.sleep(0.1)
