#!/usr/bin/env python3
"""Writes the widget's folding table into static/autocompeter.js, from Python's.

The widget highlights the words the server matched, so it must fold letters
exactly as the server does. Python's letter table is the one source; this
script writes it, in the form the widget uses, between the marker comments in
static/autocompeter.js.

The widget folds one character at a time: NFKD, drop combining marks and format
characters, lower-case, then look the character up in this table. So the table
holds, keyed by their lower-case form:
- Python's letter table (letters without a decomposition, "ø" -> "o");
- the letters whose case folding is not their lower case ("ß" -> "ss",
  the final sigma -> sigma): Python case-folds, JavaScript can only lower-case.

Usage: python scripts/gen_widget_folds.py [--check]
(--check writes nothing and exits 1 if the widget's table is out of date.)
"""

import json
import sys
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.text import LETTER_FOLDS  # noqa: E402  (the one source of the table)

WIDGET = ROOT / "static" / "autocompeter.js"
BEGIN = ("  // BEGIN folds: written by scripts/gen_widget_folds.py from Python's table;"
         " do not edit\n")
END = "  // END folds\n"


def _letter_table() -> dict[str, str]:
    """LETTER_FOLDS keyed by lower-case letter (it may be a str.maketrans table)."""
    table: dict[str, str] = {}
    for key, folded in LETTER_FOLDS.items():
        letter = chr(key) if isinstance(key, int) else key
        table[letter.lower()] = folded.lower()
    return table


def _case_folds() -> dict[str, str]:
    """Lower-case letters whose case folding differs from themselves ("ß" -> "ss").

    Letters with a decomposition are left out (NFKD handles them first), and so
    are those that case-fold to upper case (Cherokee), which no reader types.
    """
    table: dict[str, str] = {}
    for code in range(sys.maxunicode + 1):
        letter = chr(code)
        if not unicodedata.category(letter).startswith("L"):
            continue
        if unicodedata.normalize("NFKD", letter) != letter:
            continue
        lower = letter.lower()
        folded = lower.casefold()
        if len(lower) == 1 and folded != lower and folded == folded.lower():
            table[lower] = folded
    return table


def widget_folds() -> dict[str, str]:
    return dict(sorted({**_case_folds(), **_letter_table()}.items()))


def render() -> str:
    table = json.dumps(widget_folds(), ensure_ascii=False, separators=(",", ":"))
    return f"{BEGIN}  var FOLDS = {table};\n{END}"


def embedded(source: str) -> str:
    """The generated block as it stands in the widget's source."""
    start = source.index(BEGIN)
    return source[start:source.index(END, start) + len(END)]


def main() -> int:
    source = WIDGET.read_text(encoding="utf-8")
    current, wanted = embedded(source), render()
    if "--check" in sys.argv[1:]:
        if current != wanted:
            print(f"{WIDGET}: folding table out of date; run {Path(__file__).name}")
            return 1
        return 0
    WIDGET.write_text(source.replace(current, wanted), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
