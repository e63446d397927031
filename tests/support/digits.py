"""Numbers written in other scripts' digits, which Python's int() and Decimal() read
as if they were 0-9 ("\u0661\u0665" is 15): what the shop must refuse. Built from
code points, not typed, so a test says exactly which characters it sends."""

from __future__ import annotations

ARABIC_INDIC_ZERO = "\u0660"
EXTENDED_ARABIC_INDIC_ZERO = "\u06f0"
FULLWIDTH_ZERO = "\uff10"
BENGALI_ZERO = "\u09e6"
# str.isdigit() says yes to it, int() says no: a third way for a check to disagree.
SUPERSCRIPT_TWO = "\u00b2"


def written_in(text: str, zero: str = ARABIC_INDIC_ZERO) -> str:
    """`text` with each digit 0-9 replaced by the digit of the script whose zero is
    `zero` (Arabic-Indic unless told)."""
    return text.translate({ord("0") + n: ord(zero) + n for n in range(10)})
