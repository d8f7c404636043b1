"""Charts as inline SVG (issue #17): readable by screen readers, escaped, bars to scale."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from api.charts import Bar, bars

SVG = "{http://www.w3.org/2000/svg}"


def test_a_chart_is_an_image_with_a_title_and_a_description_of_every_number() -> None:
    drawn = bars("income-x", "收入构成", [Bar("停车收益", 200, "2.00"), Bar("利息", 50, "0.50")],
                 kind="income")  # fmt: skip
    root = ET.fromstring(str(drawn))  # noqa: S314 - our own output
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "income-x-t income-x-d"
    assert root.findtext(f"{SVG}title") == "收入构成"
    assert root.findtext(f"{SVG}desc") == "停车收益 2.00 元；利息 0.50 元"
    widths = [float(r.get("width", "0")) for r in root.iter(f"{SVG}rect")]
    assert widths[0] == 4 * widths[1]  # to scale


def test_labels_are_escaped_and_negative_amounts_draw_no_bar() -> None:
    drawn = str(bars("x", "<b>", [Bar("<script>", -100, "-1.00")], kind="balance"))
    assert "<script>" not in drawn
    assert "&lt;b&gt;" in drawn
    assert re.search(r'<rect [^>]*width="0.0"', drawn)


def test_an_empty_chart_says_so() -> None:
    assert "没有数据" in str(bars("x", "支出构成", [], kind="spending"))
