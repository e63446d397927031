from __future__ import annotations

import re
from html.parser import HTMLParser

from shop.markdown import render_markdown


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def tags_of(html: str) -> list[tuple[str, dict]]:
    parser = _Tags()
    parser.feed(str(html))
    return parser.tags


def test_renders_markdown():
    html = render_markdown("## Title\n\n- one\n- **two**\n\n[shop](/products)")
    assert "<h2>Title</h2>" in html
    assert "<li><strong>two</strong></li>" in html
    assert ("a", {"href": "/products", "rel": "noopener noreferrer"}) in tags_of(html)


def test_raw_html_and_scripts_are_neutralised():
    html = render_markdown('<script>alert(1)</script>\n\n<img src=x onerror="alert(1)">')
    assert {tag for tag, _ in tags_of(html)} <= {"p"}


def test_javascript_links_are_never_links():
    for source in (
        "[click](javascript:alert(1))",
        "[x](JAVASCRIPT:alert(1))",
        "[y](  javascript:alert(1))",
        "<javascript:alert(1)>",
        "[z](data:text/html;base64,PHNjcmlwdD4=)",
    ):
        hrefs = [
            attrs.get("href", "") for tag, attrs in tags_of(render_markdown(source)) if tag == "a"
        ]
        assert not any(re.match(r"\s*(javascript|data):", h, re.I) for h in hrefs), source


def test_no_event_handler_attribute_survives():
    html = render_markdown(
        '[a](https://example.com "t" onclick=alert(1))\n\n![i](x.png "a" onload=1)'
    )
    for _tag, attrs in tags_of(html):
        assert not any(name.startswith("on") for name in attrs)
