# ruff: noqa: RUF001
# (Look-alike letters are what this module is about.)
"""The widget folds letters as the server does, from one table.

The server finds "Ørsted wind" for `orsted`; the widget must then highlight
"Ørsted", so its fold (static/autocompeter.js) has to agree with Python's
(core/text.py) on every letter a reader may type. The widget's table is
written by scripts/gen_widget_folds.py from Python's; these tests check it is
up to date and run the real widget in node against the real Python fold.
"""

import json
import re
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

from core.text import fold

ROOT = Path(__file__).resolve().parent.parent
GENERATOR = ROOT / "scripts" / "gen_widget_folds.py"
WIDGET = ROOT / "static" / "autocompeter.js"

# Blocks whose letters a reader of a European-language site types or sees.
LETTER_BLOCKS = [
    (0x0041, 0x024F),  # Basic Latin, Latin-1, Latin Extended-A and -B
    (0x0370, 0x03FF),  # Greek
    (0x0400, 0x052F),  # Cyrillic and its supplement
    (0x1E00, 0x1EFF),  # Latin Extended Additional (Vietnamese and more)
    (0x2C60, 0x2C7F),  # Latin Extended-C
    (0xA720, 0xA7FF),  # Latin Extended-D
    (0xFB00, 0xFB06),  # Latin ligatures: ﬀ ﬁ ﬂ ﬃ ﬄ ﬅ ﬆ
    (0xFF21, 0xFF5A),  # fullwidth A..Z, a..z
]
NAMED = "ø Ø æ Æ œ Œ ß ẞ ł Ł đ Đ ð Ð þ Þ ı İ ħ Ħ Ǿ ǿ Ǽ ǽ Ǣ ǣ Ĳ ĳ Ǆ ǅ ǆ ŉ ſ ς Σ ℏ K Å"
PHRASES = [
    "Ørsted wind",
    "ǾRSTED Ǽble",
    "Straße STRASSE",
    "Crème brûlée",
    "Cafe\u0301 noir",  # an accent already decomposed
    "soft\u00adhyphen zero\u200bwidth",  # format characters inside words
    "ΟΔΟΣ ὁδός",  # final sigma, in capitals and small
    "Ｆｕｌｌｗｉｄｔｈ ＡＢＣ",
    "ﬁnal ﬂow Ĳssel",
    "Łódź Đakovo Þingvellir Ísafjörður Ħamrun",
    "İstanbul ıslak",
]
WORD = re.compile(r"[^\W_]+")


def python_words(text: str) -> list[str]:
    """The server's folded words, before its rule that joins "they're" into one word.

    That rule is not the widget's (it splits at the apostrophe); folding is.
    """
    return WORD.findall(fold(text))


def _letters() -> list[str]:
    return [
        chr(code)
        for first, last in LETTER_BLOCKS
        for code in range(first, last + 1)
        if unicodedata.category(chr(code))[0] == "L"
    ]


def _widget_words(texts: list[str]) -> list[list[str]]:
    """The widget's own words() of each text, run by node on static/autocompeter.js."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    script = (
        "const w = require(process.argv[1])._internals.words;"
        "const texts = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
        "process.stdout.write(JSON.stringify(texts.map(w)));"
    )
    done = subprocess.run([node, "-e", script, str(WIDGET)], input=json.dumps(texts),
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def test_the_widget_table_is_the_one_the_generator_writes():
    done = subprocess.run([sys.executable, str(GENERATOR), "--check"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_widget_and_server_fold_every_letter_alike():
    # Each letter alone, and inside a word, so a letter that folds to nothing
    # or to two letters is seen too.
    texts = [text for letter in _letters() + NAMED.split()
             for text in (letter, f"x{letter}y")]
    texts += PHRASES
    widget = _widget_words(texts)
    differences = {text: (js, python_words(text))
                   for text, js in zip(texts, widget, strict=True) if js != python_words(text)}
    assert differences == {}


def test_o_stroke_is_highlighted_for_orsted():
    node = shutil.which("node") or pytest.skip("node is not installed")
    script = (
        "const h = require(process.argv[1])._internals.highlightRanges;"
        "const t = 'Ørsted wind, ǾRSTED Ǽble';"
        "const marked = h(t, ['orsted aeble']).map(([a, b]) => t.slice(a, b));"
        "process.stdout.write(JSON.stringify(marked));"
    )
    done = subprocess.run([node, "-e", script, str(WIDGET)], capture_output=True, text=True,
                          check=True)
    assert json.loads(done.stdout) == ["Ørsted", "ǾRSTED", "Ǽble"]
