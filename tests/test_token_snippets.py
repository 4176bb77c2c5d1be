"""The token recipes of README's "Private groups", run exactly as written.

Each ```python and ```js block of a "Private groups" section is saved to a file
and run (Python by this interpreter, JavaScript by Node) with the domain's
secret in TOKEN_SECRET, as a site's backend would; the token it prints must
open the private group in a real service, and the search must not find the
private title without it.
"""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from live import ROOT, LiveServer

DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SECTION = re.compile(r"^## Private groups\n(.*?)(?=^## )", re.MULTILINE | re.DOTALL)
FENCE = re.compile(r"^```(python|js)\n(.*?)^```", re.MULTILINE | re.DOTALL)
RUNNERS = {"python": [sys.executable], "js": ["node"]}
SUFFIXES = {"python": ".py", "js": ".js"}
DOMAIN = "example.com"  # the domain the snippets name


def recipes() -> list[tuple[str, str, str]]:
    found = []
    for document in DOCUMENTS:
        for section in SECTION.findall(document.read_text()):
            found += [(f"{document.name}-{language}", language, code)
                      for language, code in FENCE.findall(section)]
    return found


RECIPES = recipes()


def test_readme_has_both_recipes():
    assert sorted(language for _name, language, _code in RECIPES) == ["js", "python"]


@pytest.mark.parametrize(("language", "code"), [(language, code) for _n, language, code in
                                                RECIPES],
                         ids=[name for name, _language, _code in RECIPES])
def test_a_recipe_mints_a_token_the_service_honours(server: LiveServer, client, tmp_path: Path,
                                                    language: str, code: str):
    if language == "js" and shutil.which("node") is None:
        pytest.fail("node is needed to run the JavaScript recipe (CI has it)")
    auth = {"Auth-Key": server.create_key(DOMAIN)}
    title = {"url": "/staff/quokka", "title": "Quokka staff recipe", "group": "staff"}
    assert client.post("/v1", json=title, headers=auth).status_code == 201
    groups = client.put("/v1/groups", json={"private": ["staff"]}, headers=auth).json()
    search = {"d": DOMAIN, "q": "quokka", "g": "staff"}
    assert client.get("/v1", params=search).json()["results"] == []

    script = tmp_path / f"recipe{SUFFIXES[language]}"
    script.write_text(code)
    done = subprocess.run([*RUNNERS[language], str(script)], capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin", "TOKEN_SECRET": groups["token_secret"]},
                          timeout=60)
    assert done.returncode == 0, done.stderr
    token = done.stdout.strip()
    found = client.get("/v1", params={**search, "t": token}).json()["results"]
    assert found == [["/staff/quokka", "Quokka staff recipe"]]
