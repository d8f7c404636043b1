"""The notice board's parts of a statement page (issue #17): its period, its QR code, its link.

The printed link and QR code lead to the version's readable address under the public base
URL (``COMMONFUND_PUBLIC_BASE_URL``), never the request's host, which behind a proxy is the
proxy's. The QR code is segno's SVG, inline: no image file, sharp at any print size.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from urllib.parse import quote

import segno
from markupsafe import Markup, escape

from ledger.complexes.notice import notice_period


@dataclass(frozen=True, slots=True)
class Notice:
    online: str  # the version's address, printed and in the QR code
    first_day: str  # ISO dates
    last_day: str
    qr: Markup


def notice(base_url: str, code: str, period: str, version: int, published_on: str) -> Notice:
    online = f"{base_url}/complexes/{quote(code, safe='')}/statements/{period}?version={version}"
    first, last = notice_period(date.fromisoformat(published_on))
    return Notice(
        online, first.isoformat(), last.isoformat(), qr_svg(online, "扫码查看本公示的在线版本")
    )


def qr_svg(text: str, title: str) -> Markup:
    """``text`` as a QR code (error correction M: survives a crease or a smudge on a board)."""
    code = segno.make(text, error="m", micro=False)
    drawn = code.svg_inline(scale=3, border=2, svgclass="qr", omitsize=True)
    return Markup(  # noqa: S704 - segno's own SVG; the title is escaped
        drawn.replace("<svg ", f'<svg role="img" aria-label="{escape(title)}" ', 1).replace(
            ">", f"><title>{escape(title)}</title>", 1
        )
    )
