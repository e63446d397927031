"""The load benchmark's outputs: the printed table, the JSON file and the SVG chart."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

from load_servers import WorkerMemory
from load_wrk import WrkResult

TARGET_P99_MS = 25.0


@dataclass(frozen=True)
class PageSpec:
    """A page under load and, when the issue sets one, its target."""

    key: str
    label: str
    path: str
    kind: str  # "read", "add_to_cart" or "checkout"
    min_ratio: float | None = None
    max_p99_ms: float | None = None
    target_backends: tuple[str, ...] = ("sqlite", "postgresql")

    def target_text(self) -> str:
        if self.min_ratio is None:
            return ""
        text = f">= {self.min_ratio:.2f}"
        if self.max_p99_ms is not None:
            text += f", p99 < {self.max_p99_ms:.0f} ms"
        if self.kind == "add_to_cart":
            text += ", no errors"
        if self.target_backends != ("sqlite", "postgresql"):
            text += f" ({', '.join(self.target_backends)})"
        return text


@dataclass
class PageOutcome:
    spec: PageSpec
    availability: str  # "measured", "not available yet", or why it was not measured
    result: WrkResult | None = None
    ratio: float | None = None

    def verdict(self, backend: str) -> str:
        spec = self.spec
        if self.result is None or spec.min_ratio is None or self.ratio is None:
            return ""
        if backend not in spec.target_backends:
            return "(target is for " + ", ".join(spec.target_backends) + ")"
        misses = []
        if self.ratio < spec.min_ratio:
            misses.append(f"ratio < {spec.min_ratio:.2f}")
        if spec.max_p99_ms is not None and self.result.p99_ms >= spec.max_p99_ms:
            misses.append(f"p99 >= {spec.max_p99_ms:.0f} ms")
        if spec.kind == "add_to_cart" and self.result.error_count:
            misses.append("errors")
        return "met" if not misses else "MISSED: " + "; ".join(misses)


@dataclass
class BackendRun:
    backend: str
    baseline: WrkResult | None = None
    pages: list[PageOutcome] = field(default_factory=list)
    memory: list[WorkerMemory] = field(default_factory=list)
    workers_at_start: list[int] = field(default_factory=list)
    workers_at_end: list[int] = field(default_factory=list)


# --------------------------------------------------------------------------- table


def _row(cells: list[str]) -> str:
    """page, req/s, p50, p99, errors, ratio, other CPU, then the free-width target."""
    widths = (50, 9, 8, 8, 7, 6, 10)
    left = cells[0].ljust(widths[0])
    middle = "".join(cell.rjust(width) for cell, width in zip(cells[1:7], widths[1:], strict=True))
    return f"{left}{middle}  {cells[7]}".rstrip()


def measured_rows(run: BackendRun) -> list[tuple[str, WrkResult]]:
    rows = [("baseline", run.baseline)] + [(p.spec.label, p.result) for p in run.pages]
    return [(label, result) for label, result in rows if result is not None]


def _errors_text(result: WrkResult) -> str:
    return str(result.error_count)


def format_backend(run: BackendRun) -> str:
    lines = [
        f"== {run.backend} ==",
        _row(["page", "req/s", "p50 ms", "p99 ms", "errors", "ratio", "other CPU", "target"]),
    ]
    base = run.baseline
    if base is not None:
        lines.append(
            _row(
                [
                    "baseline: bare Flask GET /",
                    f"{base.requests_per_second:.1f}",
                    f"{base.p50_ms:.2f}",
                    f"{base.p99_ms:.2f}",
                    _errors_text(base),
                    "1.00",
                    f"{base.other_cpu_share:.0%}",
                    "",
                ]
            )
        )
    for page in run.pages:
        result = page.result
        if result is None:
            lines.append(_row([page.spec.label, "-", "-", "-", "-", "-", "-", page.availability]))
            continue
        ratio = f"{page.ratio:.2f}" if page.ratio is not None else "-"
        target = page.spec.target_text()
        verdict = page.verdict(run.backend)
        lines.append(
            _row(
                [
                    page.spec.label,
                    f"{result.requests_per_second:.1f}",
                    f"{result.p50_ms:.2f}",
                    f"{result.p99_ms:.2f}",
                    _errors_text(result),
                    ratio,
                    f"{result.other_cpu_share:.0%}",
                    f"{target}: {verdict}" if target else verdict,
                ]
            )
        )
    lines.append("gunicorn workers' memory after the load (VmHWM = peak RSS, VmRSS = now):")
    for worker in run.memory:
        lines.append(
            f"  worker pid {worker.pid}: peak {worker.peak_rss_kib / 1024:.1f} MiB, "
            f"now {worker.rss_kib / 1024:.1f} MiB"
        )
    if run.workers_at_start and run.workers_at_end != run.workers_at_start:
        lines.append(
            f"  NOTE: workers changed during the run ({run.workers_at_start} -> "
            f"{run.workers_at_end}): a worker was restarted, its peak is lost"
        )
    return "\n".join(lines)


def error_details(run: BackendRun) -> list[str]:
    """One line per measured page that saw errors, saying which."""
    details = []
    for label, result in measured_rows(run):
        if not result.error_count:
            continue
        sockets = ", ".join(f"{k} {v}" for k, v in result.socket_errors.items() if v)
        details.append(
            f"  {run.backend} {label}: {result.status_errors} non-200 responses"
            + (f"; socket errors: {sockets}" if sockets else "")
        )
    return details


# --------------------------------------------------------------------------- JSON


def to_json(runs: list[BackendRun], meta: dict) -> dict:
    return {
        "meta": meta,
        "backends": {
            run.backend: {
                "baseline": run.baseline.to_dict() if run.baseline else None,
                "pages": [
                    {
                        "key": page.spec.key,
                        "label": page.spec.label,
                        "path": page.spec.path,
                        "availability": page.availability,
                        "ratio_to_baseline": page.ratio,
                        "target": page.spec.target_text() or None,
                        "verdict": page.verdict(run.backend) or None,
                        "wrk": page.result.to_dict() if page.result else None,
                    }
                    for page in run.pages
                ],
                "workers": [
                    {"pid": w.pid, "vm_hwm_kib": w.peak_rss_kib, "vm_rss_kib": w.rss_kib}
                    for w in run.memory
                ],
                "workers_restarted": bool(
                    run.workers_at_start and run.workers_at_end != run.workers_at_start
                ),
            }
            for run in runs
        },
    }


def write_json(path: Path, document: dict) -> None:
    path.write_text(json.dumps(document, indent=2, sort_keys=False) + "\n")


# --------------------------------------------------------------------------- SVG

BACKEND_COLOURS = {"sqlite": "#4c78a8", "postgresql": "#f58518"}


def render_svg(runs: list[BackendRun], pages: list[PageSpec], title: str) -> str:
    """Grouped bars: ratio to the baseline's req/s, per page and backend, with targets."""
    width, height = 860, 420
    left, right, top, bottom = 60, 20, 50, 90
    plot_w, plot_h = width - left - right, height - top - bottom
    ratios = [p.ratio for run in runs for p in run.pages if p.ratio is not None]
    y_max = max([1.0, *(r * 1.1 for r in ratios)])
    y_max = math.ceil(y_max * 4) / 4

    def y(value: float) -> float:
        return top + plot_h * (1 - value / y_max)

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="{width / 2}" y="22" text-anchor="middle" font-size="15">{escape(title)}</text>',
    ]
    tick = 0.0
    while tick <= y_max + 1e-9:
        out.append(
            f'<line x1="{left}" y1="{y(tick):.1f}" x2="{width - right}" y2="{y(tick):.1f}" '
            'stroke="#ddd"/>'
        )
        out.append(
            f'<text x="{left - 6}" y="{y(tick) + 4:.1f}" text-anchor="end">{tick:.2f}</text>'
        )
        tick += 0.25
    out.append(
        f'<text x="16" y="{top + plot_h / 2}" transform="rotate(-90 16 {top + plot_h / 2})" '
        'text-anchor="middle">req/s ÷ baseline req/s</text>'
    )
    group_w = plot_w / max(1, len(pages))
    bar_w = group_w * 0.7 / max(1, len(runs))
    for index, spec in enumerate(pages):
        x0 = left + index * group_w
        for offset, run in enumerate(runs):
            outcome = next((p for p in run.pages if p.spec.key == spec.key), None)
            x = x0 + group_w * 0.15 + offset * bar_w
            colour = BACKEND_COLOURS.get(run.backend, "#888")
            if outcome is None or outcome.ratio is None:
                out.append(
                    f'<text x="{x + bar_w / 2:.1f}" y="{y(0) - 6:.1f}" text-anchor="middle" '
                    f'font-size="10" fill="{colour}">n/a</text>'
                )
                continue
            out.append(
                f'<rect x="{x:.1f}" y="{y(outcome.ratio):.1f}" width="{bar_w - 2:.1f}" '
                f'height="{y(0) - y(outcome.ratio):.1f}" fill="{colour}">'
                f"<title>{escape(run.backend)} {escape(spec.label)}: "
                f"{outcome.ratio:.2f}</title></rect>"
            )
            out.append(
                f'<text x="{x + bar_w / 2:.1f}" y="{y(outcome.ratio) - 4:.1f}" '
                f'text-anchor="middle" font-size="10">{outcome.ratio:.2f}</text>'
            )
        if spec.min_ratio is not None:
            note = "" if len(spec.target_backends) > 1 else f" ({spec.target_backends[0]})"
            out.append(
                f'<line x1="{x0 + 4:.1f}" y1="{y(spec.min_ratio):.1f}" '
                f'x2="{x0 + group_w - 4:.1f}" y2="{y(spec.min_ratio):.1f}" stroke="#d62728" '
                'stroke-width="2" stroke-dasharray="6 3"/>'
            )
            out.append(
                f'<text x="{x0 + group_w - 4:.1f}" y="{y(spec.min_ratio) - 4:.1f}" '
                f'text-anchor="end" font-size="10" fill="#d62728">'
                f"target {spec.min_ratio:.2f}{escape(note)}</text>"
            )
        out.append(
            f'<text x="{x0 + group_w / 2:.1f}" y="{top + plot_h + 18}" '
            f'text-anchor="middle">{escape(spec.key)}</text>'
        )
    out.append(
        f'<line x1="{left}" y1="{y(0):.1f}" x2="{width - right}" y2="{y(0):.1f}" stroke="#333"/>'
    )
    legend_y = height - 30
    for offset, run in enumerate(runs):
        lx = left + offset * 140
        colour = BACKEND_COLOURS.get(run.backend, "#888")
        out.append(f'<rect x="{lx}" y="{legend_y - 10}" width="12" height="12" fill="{colour}"/>')
        out.append(f'<text x="{lx + 18}" y="{legend_y}">{escape(run.backend)}</text>')
    lx = left + len(runs) * 140
    out.append(
        f'<line x1="{lx}" y1="{legend_y - 4}" x2="{lx + 24}" y2="{legend_y - 4}" '
        'stroke="#d62728" stroke-width="2" stroke-dasharray="6 3"/>'
    )
    out.append(f'<text x="{lx + 30}" y="{legend_y}">target (from the issue)</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"
