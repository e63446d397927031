"""Bar charts drawn on the server as inline SVG: readable without JavaScript, and each
one named and described for screen readers (the page also shows the numbers as a
table)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from markupsafe import Markup, escape


def bar_chart(
    points: Sequence[tuple[str, int]],
    *,
    chart_id: str,
    title: str,
    description: str,
    value_text: Callable[[int], str] = str,
    width: int = 720,
    height: int = 220,
) -> Markup:
    """One bar per (label, value); labels under the first, middle and last bars."""
    left, right, top, bottom = 8, 8, 24, 28
    inner_width = width - left - right
    inner_height = height - top - bottom
    highest = max((value for _, value in points), default=0)
    scale = inner_height / highest if highest > 0 else 0
    slot = inner_width / max(len(points), 1)
    bar_width = max(slot * 0.7, 1)
    parts = [
        f'<svg class="chart" id="{escape(chart_id)}" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" '
        f'aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc" '
        'xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>',
        f'<desc id="{escape(chart_id)}-desc">{escape(description)}</desc>',
        f'<line x1="{left}" y1="{top + inner_height}" x2="{width - right}" '
        f'y2="{top + inner_height}" stroke="#4f5861" stroke-width="1"/>',
        f'<text x="{left}" y="14" font-size="12" fill="#1d2125">Highest: '
        f"{escape(value_text(highest))}</text>",
    ]
    label_at = {0, len(points) // 2, len(points) - 1} if points else set()
    for index, (label, value) in enumerate(points):
        bar_height = round(value * scale, 1)
        x = round(left + index * slot + (slot - bar_width) / 2, 1)
        y = round(top + inner_height - bar_height, 1)
        parts.append(
            f'<rect x="{x}" y="{y}" width="{round(bar_width, 1)}" height="{bar_height}" '
            f'fill="#0a4f96"><title>{escape(label)}: {escape(value_text(value))}</title></rect>'
        )
        if index in label_at:
            anchor = "start" if index == 0 else "end" if index == len(points) - 1 else "middle"
            text_x = (
                x if anchor == "start" else x + bar_width if anchor == "end" else x + bar_width / 2
            )
            parts.append(
                f'<text x="{round(text_x, 1)}" y="{height - 8}" font-size="12" fill="#1d2125" '
                f'text-anchor="{anchor}">{escape(label)}</text>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every interpolated text is escaped above
