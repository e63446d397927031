"""Shortcodes in article bodies: `{{ product "handle" }}` embeds a live product card.

`{{ bundle "handle" }}` does the same and also insists that the product is a bundle.
A shortcode stands on a line of its own; anywhere else the text is left as written.

Rendering keeps Markdown and cards apart: each shortcode becomes a placeholder
paragraph, the Markdown is rendered and sanitised by `shop.markdown`, and only then
is each placeholder swapped for its card. The placeholders carry a random nonce, so
nothing an author writes can pose as one.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from markupsafe import Markup

from shop.catalog.models import Product
from shop.markdown import render_markdown

SHORTCODE = re.compile(
    r"^[ \t]*\{\{\s*(?P<kind>product|bundle)\s+\"(?P<handle>[^\"\n]{1,120})\"\s*\}\}[ \t]*$",
    re.MULTILINE,
)


@dataclass(frozen=True)
class Shortcode:
    kind: str  # "product" or "bundle"
    handle: str

    @property
    def source(self) -> str:
        return f'{{{{ {self.kind} "{self.handle}" }}}}'


def find_shortcodes(body: str) -> list[Shortcode]:
    return [Shortcode(m["kind"], m["handle"].strip()) for m in SHORTCODE.finditer(body or "")]


def handles_in(body: str) -> list[str]:
    """The product handles a body embeds, first appearance first, each once."""
    return list(dict.fromkeys(code.handle for code in find_shortcodes(body)))


def problems(body: str, products_by_handle: Mapping[str, Product]) -> list[str]:
    """What is wrong with the body's shortcodes, given the products they may name.

    Checked when an article is saved: a card for a product that does not exist, is
    not for sale or is not the bundle it claims to be is an editing mistake.
    """
    found = []
    for code in find_shortcodes(body):
        product = products_by_handle.get(code.handle)
        if product is None:
            found.append(f"{code.source} names an unknown product.")
        elif not product.is_purchasable:
            found.append(f"{code.source} names a product that is not for sale.")
        elif code.kind == "bundle" and not product.is_bundle:
            found.append(f"{code.source} names a product that is not a bundle.")
    return list(dict.fromkeys(found))


def render(body: str, render_card: Callable[[Shortcode], str]) -> Markup:
    """Sanitised HTML of the body with each shortcode replaced by `render_card(code)`.

    `render_card` returns trusted HTML (our own autoescaped template), or "" when the
    product has gone since the article was saved: the card is then simply left out.
    """
    nonce = secrets.token_hex(8)
    codes: list[Shortcode] = []

    def to_placeholder(match: re.Match) -> str:
        codes.append(Shortcode(match["kind"], match["handle"].strip()))
        return f"\n\nshortcode{nonce}n{len(codes) - 1}\n\n"

    html = str(render_markdown(SHORTCODE.sub(to_placeholder, body or "")))
    for index, code in enumerate(codes):
        html = html.replace(f"<p>shortcode{nonce}n{index}</p>", str(render_card(code)), 1)
    return Markup(html)  # noqa: S704 - sanitised Markdown plus our own escaped cards
