"""Private groups: their titles are found only with a signed token granting them."""

import base64
import hashlib
import hmac
import json
import time

import pytest

from core.tokens import mint

STAFF = {"url": "/staff/zanzibarian", "title": "Zanzibarian staff handbook", "group": "staff"}
PUBLIC = {"url": "/public", "title": "Zanzibar public guide"}
OTHER = {"url": "/other", "title": "Zanzibarian other handbook", "group": "other"}


def private_site(site, private=("staff",)):
    assert site.bulk([STAFF, PUBLIC, OTHER]).status_code == 201
    answer = site.client.put("/v1/groups", json={"private": list(private)}, headers=site.auth)
    assert answer.status_code == 200, answer.text
    return answer.json()["token_secret"]


def urls(site, q="zanzibar", **params):
    answer = site.search(q, **params)
    assert answer.status_code == 200, answer.text
    return sorted(url for url, _title in answer.json()["results"])


def token(site, secret, groups=("staff",), ttl=3600, domain=None):
    return mint(secret, domain or site.domain, groups, int(time.time()) + ttl)


def test_put_and_get_groups(any_site):
    empty = any_site.client.get("/v1/groups", headers=any_site.auth)
    assert empty.status_code == 200
    assert empty.json()["private"] == []
    assert empty.json()["domain"] == any_site.domain
    secret = empty.json()["token_secret"]
    assert len(secret) == 43

    put = any_site.client.put("/v1/groups", json={"private": ["staff", " b ", "staff"]},
                              headers=any_site.auth)
    assert put.status_code == 200
    assert put.json()["private"] == ["b", "staff"]
    read = any_site.client.get("/v1/groups", headers=any_site.auth).json()
    assert read == {"domain": any_site.domain, "private": ["b", "staff"], "token_secret": secret}

    # The set is replaced, not added to.
    any_site.client.put("/v1/groups", json={"private": ["b"]}, headers=any_site.auth)
    assert any_site.client.get("/v1/groups", headers=any_site.auth).json()["private"] == ["b"]


@pytest.mark.parametrize("body, error", [
    ({}, "private: Field required"),
    ({"private": "staff"}, "private: Input should be a valid list"),
    ({"private": [""]}, "private.0: String should have at least 1 character"),
    ({"private": ["a,b"]}, "private.0: must not contain a comma"),
    ({"private": ["x" * 101]}, "private.0: String should have at most 100 characters"),
    ({"private": ["a\x07"]}, "private.0: must not contain control characters"),
    ({"private": [f"g{n}" for n in range(101)]}, "private: at most 100 groups, got 101"),
])
def test_bad_groups_are_refused_and_nothing_changes(any_site, body, error):
    any_site.client.put("/v1/groups", json={"private": ["kept"]}, headers=any_site.auth)
    answer = any_site.client.put("/v1/groups", json=body, headers=any_site.auth)
    assert answer.status_code == 400
    assert answer.json()["error"].startswith(error), answer.json()
    assert any_site.client.get("/v1/groups", headers=any_site.auth).json()["private"] == ["kept"]


def test_groups_need_the_domains_key(any_site, other_site_on_same_server):
    client = any_site.client
    assert client.get("/v1/groups").status_code == 401
    assert client.put("/v1/groups", json={"private": ["staff"]}).status_code == 401
    wrong = {"Auth-Key": "x" * 32}
    assert client.get("/v1/groups", headers=wrong).status_code == 403
    assert client.put("/v1/groups", json={"private": ["staff"]}, headers=wrong).status_code == 403
    # Another domain's key reads and changes its own domain only.
    other = other_site_on_same_server
    private_site(any_site)
    changed = other.client.put("/v1/groups", json={"private": []}, headers=other.auth).json()
    assert changed["domain"] == other.domain
    assert any_site.client.get("/v1/groups", headers=any_site.auth).json()["private"] == [
        "staff"]
    assert changed["token_secret"] != any_site.client.get(
        "/v1/groups", headers=any_site.auth).json()["token_secret"]


def test_a_private_group_is_found_only_with_a_token_granting_it(any_site):
    # Public before: g=staff finds the staff title, as groups always did.
    assert any_site.bulk([STAFF, PUBLIC, OTHER]).status_code == 201
    assert urls(any_site, g="staff") == ["/public", "/staff/zanzibarian"]
    secret = private_site(any_site)
    assert urls(any_site, g="staff") == ["/public"]
    assert urls(any_site, g="staff,other") == ["/other", "/public"]
    granted = token(any_site, secret)
    assert urls(any_site, g="staff", t=granted) == ["/public", "/staff/zanzibarian"]
    assert urls(any_site, g="staff,other", t=granted) == ["/other", "/public",
                                                          "/staff/zanzibarian"]
    # A token grants; it does not ask: without g=staff the staff title stays out.
    assert urls(any_site, t=granted) == ["/public"]
    # A token for another group opens nothing here.
    assert urls(any_site, g="staff", t=token(any_site, secret, groups=["other"])) == ["/public"]
    # Public again: found without a token.
    any_site.client.put("/v1/groups", json={"private": []}, headers=any_site.auth)
    assert urls(any_site, g="staff") == ["/public", "/staff/zanzibarian"]


def test_expired_tampered_and_foreign_tokens_grant_nothing(any_site, other_site_on_same_server):
    secret = private_site(any_site)
    other_secret = other_site_on_same_server.client.get(
        "/v1/groups", headers=other_site_on_same_server.auth).json()["token_secret"]
    good = token(any_site, secret)
    payload, signature = good.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    forged_payload = base64.urlsafe_b64encode(
        json.dumps({**claims, "g": ["staff", "other"]}).encode()).rstrip(b"=").decode()
    flipped = signature[:-2] + ("AA" if signature[-2:] != "AA" else "BA")
    nothing = [
        token(any_site, secret, ttl=-1),  # expired a second ago
        f"{forged_payload}.{signature}",  # payload changed, signature kept
        f"{payload}.{flipped}",  # signature changed
        token(any_site, other_secret),  # signed with another domain's secret
        token(any_site, secret, domain=other_site_on_same_server.domain),  # for another domain
        token(any_site, "not the secret"),
    ]
    for bad in nothing:
        assert urls(any_site, g="staff", t=bad) == ["/public"], bad
    assert urls(any_site, g="staff", t=good) == ["/public", "/staff/zanzibarian"]


def encoded(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def signed(secret: str, payload: bytes) -> str:
    key = hmac.new(secret.encode(), b"autocompeter token v1", hashlib.sha256).digest()
    return f"{encoded(payload)}.{encoded(hmac.new(key, payload, hashlib.sha256).digest())}"


def shaped(payload: object) -> str:
    """A token whose payload is ``payload`` as JSON, with any signature."""
    return f"{encoded(json.dumps(payload).encode())}.abc"


@pytest.mark.parametrize("bad, error", [
    ("abc", "t: must be two base64url parts joined by a dot"),
    ("a.b.c", "t: must be two base64url parts joined by a dot"),
    ("ab+c.def", "t: each part must be base64url"),
    ("abc=.def", "t: each part must be base64url"),
    ("a.bcde", "t: a part is not valid base64url"),
    (f"{encoded(b'not json')}.abc", "t: the payload is not JSON"),
    (shaped([1]), 't: the payload must be {"d"'),
    (shaped({"d": "x", "g": []}), 't: the payload must be {"d"'),
    (shaped({"d": "x", "g": [], "exp": 1, "admin": True}), 't: the payload must be {"d"'),
    (shaped({"d": 1, "g": [], "exp": 1}), "t: d must be a string"),
    (shaped({"d": "x", "g": "staff", "exp": 1}), "t: g must be a list"),
    (shaped({"d": "x", "g": [1], "exp": 1}), "t: g must be a list"),
    (shaped({"d": "x", "g": ["g"] * 101, "exp": 1}), "t: g must be a list of at most 100"),
    (shaped({"d": "x", "g": [], "exp": 1.5}), "t: exp must be a whole"),
    (shaped({"d": "x", "g": [], "exp": True}), "t: exp must be a whole"),
    ("a" * 4097, "t: String should have at most 4096 characters"),
])
def test_a_malformed_token_is_a_400_naming_t(any_site, bad, error):
    private_site(any_site)
    answer = any_site.search("zanzibar", g="staff", t=bad)
    assert answer.status_code == 400
    assert answer.json()["error"].startswith(error), answer.json()
    assert answer.headers["access-control-allow-origin"] == "*"
    # Without groups too: a broken token is a bug of the site's, worth seeing at once.
    assert any_site.search("zanzibar", t=bad).status_code == 400


def test_a_token_made_by_the_documented_recipe_is_honoured(any_site):
    secret = private_site(any_site)
    payload = json.dumps({"d": any_site.domain, "g": ["staff"],
                          "exp": int(time.time()) + 60}, indent=2).encode()
    assert urls(any_site, g="staff", t=signed(secret, payload)) == [
        "/public", "/staff/zanzibarian"]


def test_typo_corrections_never_leak_a_word_only_a_private_title_holds(any_site):
    secret = private_site(any_site)
    # "zanzibarian" is in the staff and the other group's titles only.
    leaked = any_site.search("zanzibarain", g="staff").json()
    assert leaked == {"terms": ["zanzibarain"], "results": []}
    granted = any_site.search("zanzibarain", g="staff", t=token(any_site, secret)).json()
    assert granted["results"] == [["/staff/zanzibarian", "Zanzibarian staff handbook"]]
    assert granted["terms"] == ["zanzibarain", "zanzibarian"]
    # Asked again without the token: the cached answer with the token is not served.
    assert any_site.search("zanzibarain", g="staff").json() == leaked


def eventually(check, seconds=5.0):
    """A change made outside the worker (the CLI) reaches the embedded setup's next
    search and the scaled setup's within a second (app/http/access.py): wait for it."""
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "the change never reached the search"
        time.sleep(0.05)


def test_a_rotated_secret_ends_its_tokens(any_site):
    secret = private_site(any_site)
    assert any_site.server.cli("tokens", "secret", any_site.domain).strip() == secret
    old = token(any_site, secret)
    assert urls(any_site, g="staff", t=old) == ["/public", "/staff/zanzibarian"]
    rotated = any_site.server.cli("tokens", "rotate", any_site.domain).strip()
    assert rotated != secret
    eventually(lambda: urls(any_site, g="staff", t=old) == ["/public"])
    assert any_site.client.get("/v1/groups", headers=any_site.auth).json()[
        "token_secret"] == rotated
    assert urls(any_site, g="staff", t=token(any_site, rotated)) == [
        "/public", "/staff/zanzibarian"]


def test_the_cli_mints_tokens_the_service_honours(any_site):
    private_site(any_site)
    made = any_site.server.cli("tokens", "create", any_site.domain, "--groups", "staff",
                               "--ttl", "60").strip()
    assert urls(any_site, g="staff", t=made) == ["/public", "/staff/zanzibarian"]
