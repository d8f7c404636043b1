"""Charts as inline SVG drawn on the server (issue #17): no JavaScript, sharp in print.

One kind, horizontal bars: a label, its bar, its amount, one row each, so a label never
meets a neighbour's however long the amounts. Each chart is ``role="img"`` with a
``<title>`` and a ``<desc>`` for screen readers; the pages set a table of the same numbers
beside it, which is what a reader who cannot see the picture reads.
"""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 420  # the viewBox; the picture scales to its column (on a phone: 15 → ~13 px)
ROW = 30
FONT = 15
LABEL = 8.6  # em, the widest label (8 Chinese characters)
VALUE = 6.4  # em, the widest amount (12,345,678.90)
COLOURS = {"income": "#2f7d4f", "spending": "#a3231f", "balance": "#1a5fb4", "fund": "#6b4fa3"}


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    fen: int
    shown: str  # the amount as the table beside shows it


def text_width(text: str, size: float = FONT) -> float:
    """Roughly how wide ``text`` renders: a Chinese character 1 em, anything else 0.6 em."""
    return sum(size if ord(c) > 0x2E80 else size * 0.6 for c in text)


def bars(chart_id: str, title: str, rows: list[Bar], *, kind: str, unit: str = "元") -> Markup:
    """A horizontal bar chart; amounts below zero draw no bar (their number still shows)."""
    label_w = min(LABEL * FONT, max((text_width(r.label) for r in rows), default=0) + 8)
    value_w = min(VALUE * FONT, max((text_width(r.shown) for r in rows), default=0) + 10)
    span = WIDTH - label_w - value_w - 12
    top = max((r.fen for r in rows), default=0)
    height = ROW * max(1, len(rows)) + 8
    desc = "；".join(f"{r.label} {r.shown} {unit}" for r in rows) or "没有数据"
    parts = [
        (
            f'<svg class="chart" id="{escape(chart_id)}" role="img" viewBox="0 0 {WIDTH} {height}"'
            f' aria-labelledby="{escape(chart_id)}-t {escape(chart_id)}-d"'
            f' xmlns="http://www.w3.org/2000/svg" font-size="{FONT}">'
        ),
        f'<title id="{escape(chart_id)}-t">{escape(title)}</title>',
        f'<desc id="{escape(chart_id)}-d">{escape(desc)}</desc>',
    ]
    colour = COLOURS.get(kind, "#5b6670")
    for n, row in enumerate(rows):
        y = 4 + n * ROW
        middle = y + ROW / 2 + FONT * 0.35
        length = 0.0 if top <= 0 or row.fen <= 0 else max(1.0, span * row.fen / top)
        label = row.label if text_width(row.label) <= label_w - 6 else f"{row.label[:7]}…"
        parts += [
            (
                f'<text class="label" x="{label_w - 6:.0f}" y="{middle:.1f}" text-anchor="end">'
                f"{escape(label)}</text>"
            ),
            (
                f'<rect class="bar" x="{label_w:.0f}" y="{y + 5}" width="{length:.1f}"'
                f' height="{ROW - 10}" fill="{colour}"/>'
            ),
            (
                f'<text class="value" x="{label_w + length + 6:.1f}" y="{middle:.1f}">'
                f"{escape(row.shown)}</text>"
            ),
        ]
    if not rows:
        parts.append(
            f'<text x="{WIDTH / 2}" y="{ROW / 2 + 6}" text-anchor="middle">没有数据</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text above is escaped
