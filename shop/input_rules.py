"""What we accept in text people type: the one owner of these rules, which the forms,
the JSON cart API and the services call.

- No bidirectional controls. They are invisible and reorder how the text around them
  is shown (a right-to-left override makes "gpj.exe" read as "exe.jpg"), so a review or
  an address could show something its writer never typed in that order. Right-to-left
  text seldom needs them: the Unicode bidi algorithm orders Arabic or Hebrew by itself.
  Text carrying one is refused with a reason (and kept to correct), never changed
  silently.
- Numbers in the ASCII digits 0-9 only. Python's int() and Decimal() read the digits
  of every script (U+0661, Arabic-Indic one, is 1; full-width "12" is 12) and int()
  skips underscores ("1_0" is 10), so a quantity, a stock count or a price typed in
  any of those would pass as a number nobody sees on the page.
"""

from __future__ import annotations

import re
from decimal import Decimal

# Embeddings and overrides (U+202A-U+202E), isolates (U+2066-U+2069), and the
# left-to-right, right-to-left and Arabic letter marks.
BIDI_CONTROLS = frozenset(
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
)
_BIDI_CONTROL = re.compile(f"[{''.join(sorted(BIDI_CONTROLS))}]")

BIDI_CONTROLS_MESSAGE = (
    "This contains invisible characters that change the direction of text "
    "(often copied along with text from elsewhere). Please type it again without them."
)

# [0-9] (not \d, which matches every script's digits); surrounding spaces are allowed.
_WHOLE_NUMBER = re.compile(r"\s*[+-]?[0-9]+\s*")
_DECIMAL = re.compile(r"\s*[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)\s*")


def has_bidi_controls(text: str) -> bool:
    return _BIDI_CONTROL.search(text) is not None


def is_ascii_digits(text: str) -> bool:
    """Only the digits 0-9, at least one (str.isdigit() alone takes every script's
    digits, and superscripts that int() then refuses)."""
    return text.isascii() and text.isdigit()


def parse_whole_number(text: str) -> int:
    """An integer written with the digits 0-9 (and an optional sign); ValueError if not."""
    if not _WHOLE_NUMBER.fullmatch(text):
        raise ValueError(f"{text!r} is not a whole number in the digits 0-9")
    return int(text)


def parse_decimal(text: str) -> Decimal:
    """A decimal written with the digits 0-9 and at most one point; ValueError if not.

    No exponents, NaN or infinities either: those are not amounts anyone types.
    """
    if not _DECIMAL.fullmatch(text):
        raise ValueError(f"{text!r} is not a number in the digits 0-9")
    return Decimal(text.strip())
