"""`autocompeter synonyms|suggestions show|set DOMAIN`: the rules a site owner also
sets with `PUT /v1/synonyms` and `PUT /v1/suggestions`, or the dashboard (README
"Synonyms", "Query suggestions").

`set` checks a file as the HTTP route checks its body (`app.shared.rules`, the same
wording of its errors), and stores what the route would store. The store makes the change reach
searches: the embedded store bumps the domain's generation, the scaled engine's
generation is a half-second bucket (app/http/synonym_book.py); each worker builds its
suggestions again a few seconds after the generation moves (app/http/suggestions.py).
"""

import argparse
import asyncio
import json
import sys
from functools import partial
from pathlib import Path
from typing import Any

import orjson

from app.cli.arguments import DOMAIN_HELP, Commands
from app.shared.backends import Backends, with_backends
from app.shared.errors import Refused
from app.shared.rules import KINDS, SUGGESTIONS, SYNONYMS, Body, RuleKind
from app.shared.settings import Settings

EXAMPLES = {
    SYNONYMS.name: '{"synonyms": [["js", "javascript"]], "one_way": {"k8s": ["kubernetes"]}}',
    SUGGESTIONS.name: '{"enabled": true, "min_count": 2, "min_results": 1, "exclude": ["free"]}',
}


def read_rules(file: str, domain: str) -> Body:
    """FILE's JSON object (``-``: standard input). A "domain" in it, as `show` prints,
    must be DOMAIN's: the file of one site is not set on another by mistake."""
    try:
        text = sys.stdin.buffer.read() if file == "-" else Path(file).read_bytes()
    except OSError as error:
        raise Refused(f"cannot read {file}: {error}") from None
    try:
        body = orjson.loads(text)
    except orjson.JSONDecodeError as error:
        raise Refused(f"{file}: not valid JSON: {error}") from None
    if not isinstance(body, dict):
        raise Refused(f"{file}: a JSON object, as the API's PUT body")
    named = body.pop("domain", domain)
    if named != domain:
        raise Refused(f"{file}: its domain is {named!r}, not {domain!r}")
    return body


def as_json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


def entry_lines(value: object) -> str:
    """A list or an object with each of its entries on a line of its own (a group, a
    one-way rule, an excluded query), so a file is read and edited rule by rule."""
    if isinstance(value, list) and value:
        inner = [f"    {as_json(item)}" for item in value]
        return "[\n" + ",\n".join(inner) + "\n  ]"
    if isinstance(value, dict) and value:
        inner = [f"    {as_json(key)}: {as_json(item)}" for key, item in value.items()]
        return "{\n" + ",\n".join(inner) + "\n  }"
    return as_json(value)


def print_rules(domain: str, rules: Body) -> None:
    """The JSON `GET /v1/NAME` answers; `set` takes it back."""
    fields = [f"  {as_json(name)}: {entry_lines(value)}"
              for name, value in {"domain": domain, **rules}.items()]
    print("{\n" + ",\n".join(fields) + "\n}")


async def known_domain(backends: Backends, domain: str) -> None:
    if not await backends.store.domain_exists(domain):
        raise Refused(f"no domain {domain!r}: autocompeter keys create {domain}")


async def show_rules(backends: Backends, kind: RuleKind, domain: str) -> int:
    await known_domain(backends, domain)
    stored = await backends.store.domain_rules(domain, kind.name)
    print_rules(domain, kind.as_body(kind.stored(stored)))
    return 0


async def set_rules(backends: Backends, kind: RuleKind, domain: str, rules: Any) -> int:
    await known_domain(backends, domain)
    await backends.store.set_domain_rules(domain, kind.name, kind.to_store(rules))
    print_rules(domain, kind.as_body(rules))
    return 0


def add_rules_command(commands: Commands) -> None:
    for kind in KINDS:
        command = commands.add_parser(
            kind.name, help=f"show or set a domain's {kind.name} (PUT /v1/{kind.name})")
        command.set_defaults(run=partial(run_rules, kind))
        actions = command.add_subparsers(dest="rules_command", required=True)
        actions.add_parser("show", help=f"print DOMAIN's {kind.name} as JSON"
                           ).add_argument("domain", help=DOMAIN_HELP)
        setting = actions.add_parser(
            "set", help=f"replace DOMAIN's {kind.name} with those in FILE",
            description=f"FILE holds the PUT body's JSON, such as {EXAMPLES[kind.name]} "
                        "(what `show` prints is taken back too); - reads standard input.")
        setting.add_argument("domain", help=DOMAIN_HELP)
        setting.add_argument("file", help="a JSON file, or - for standard input")


def run_rules(kind: RuleKind, args: argparse.Namespace, settings: Settings) -> int:
    if args.rules_command == "show":
        return asyncio.run(with_backends(settings, partial(show_rules, kind=kind,
                                                           domain=args.domain)))
    # Checked before the database is opened: a refused file changes nothing.
    rules = kind.checked(read_rules(args.file, args.domain))
    return asyncio.run(with_backends(settings, partial(set_rules, kind=kind, domain=args.domain,
                                                       rules=rules)))
