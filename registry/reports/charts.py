"""Charts for reports, drawn on the server as SVG with matplotlib, so pages print and need no JavaScript.

Text stays text (svg.fonttype "none"): the browser draws the Chinese labels with the page's own font,
and the files stay small. matplotlib escapes text for XML; labels are also kept out of its math parser
(a shop's township may contain "$"). Rendering is a pure function of the figures, so it is cached by them.
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
import warnings
from functools import lru_cache

import matplotlib

matplotlib.use("Agg")  # no display; set before anything draws

from matplotlib.figure import Figure  # noqa: E402 — after choosing the backend

# "findfont: Font family … not found" is logged for every label on a machine without the CJK font.
logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)

BRAND = "#b3261e"
INK = "#1f2328"
MUTED = "#5b6470"
GRID = "#dde2e8"
# For measuring text while laying out; the SVG drops the family so the page's own font stack draws it.
FONT_FAMILY = ["Noto Sans CJK SC", "DejaVu Sans"]

_STYLE = {
    "svg.fonttype": "none",
    # Element ids derive from this salt instead of a random one: the same figures give the same bytes (ETag).
    "svg.hashsalt": "chengxinma-report",
    "font.family": FONT_FAMILY,
    "font.size": 11,
    "text.parse_math": False,
    "axes.edgecolor": GRID,
    "axes.labelcolor": MUTED,
    "xtick.color": MUTED,
    "ytick.color": INK,
    "axes.spines.top": False,
    "axes.spines.right": False,
}
_DIMENSION = re.compile(r'\s(width|height)="[\d.]+pt"')
_FONT_FAMILY = re.compile(r"font-family: [^;\"]*;? ?")
_STYLE_ATTRIBUTE = re.compile(r'style="([^"]*)"')


def _presentation_attributes(match: re.Match) -> str:
    declarations = (part.split(":", 1) for part in match.group(1).split(";") if ":" in part)
    return " ".join(f'{name.strip()}="{value.strip()}"' for name, value in declarations)


def _svg(figure: Figure, title: str) -> str:
    """The figure as an inline <svg> element: scalable (viewBox, width 100%), titled, no XML prologue."""
    buffer = io.StringIO()
    with warnings.catch_warnings():
        # Without a CJK font installed, matplotlib warns about glyphs it cannot measure; the browser
        # still draws the text with the page's font (fonttype none), so the chart stays usable.
        warnings.filterwarnings("ignore", message=r"Glyph \d+ .*missing from font", category=UserWarning)
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None}, transparent=True)
    text = buffer.getvalue()
    start = text.index("<svg")
    text = text[start:]
    text = re.sub(r"<metadata>.*?</metadata>", "", text, count=1, flags=re.S)
    text = _FONT_FAMILY.sub("", text)
    # The page's Content-Security-Policy (style-src 'self') ignores style attributes and <style>
    # elements: the same declarations as SVG presentation attributes are not styles and always apply.
    text = re.sub(r"<style[^>]*>.*?</style>", "", text, flags=re.S)
    text = _STYLE_ATTRIBUTE.sub(_presentation_attributes, text)
    # Ids unique on a page that shows several charts: group ids dropped, referenced ones prefixed.
    prefix = "c" + hashlib.sha256(text.encode()).hexdigest()[:8] + "-"
    text = re.sub(r'<g id="[^"]*"', "<g", text)
    text = re.sub(r'\bid="', f'id="{prefix}', text)
    text = text.replace('xlink:href="#', f'xlink:href="#{prefix}').replace("url(#", f"url(#{prefix}")
    head_end = text.index(">")
    head = _DIMENSION.sub("", text[:head_end])
    from markupsafe import escape

    head += f' width="100%" role="img" aria-label="{escape(title)}" class="chart-svg"'
    return head + text[head_end:]


def _figure(width: float, height: float) -> Figure:
    with matplotlib.rc_context(_STYLE):
        return Figure(figsize=(width, height), layout="constrained")


@lru_cache(maxsize=128)
def column_chart(title: str, labels: tuple[str, ...], values: tuple[int, ...]) -> str:
    """Vertical bars, one per label (a trend by month)."""
    with matplotlib.rc_context(_STYLE):
        figure = _figure(4.8, 2.6)
        axes = figure.add_subplot()
        bars = axes.bar(range(len(values)), values, color=BRAND, width=0.65)
        axes.set_xticks(range(len(labels)), labels)
        if len(labels) > 12:
            axes.tick_params(axis="x", labelrotation=90, labelsize=8)
        axes.yaxis.get_major_locator().set_params(integer=True)
        axes.grid(axis="y", color=GRID, linewidth=0.8)
        axes.set_axisbelow(True)
        axes.set_ylim(0, max(max(values, default=0), 1) * 1.18)
        if len(values) <= 24:
            axes.bar_label(bars, labels=[str(v) if v else "" for v in values], padding=2, fontsize=10, color=INK)
        return _svg(figure, title)


@lru_cache(maxsize=128)
def bar_chart(title: str, labels: tuple[str, ...], values: tuple[int, ...]) -> str:
    """Horizontal bars, largest first as given (a breakdown by clause, district or township)."""
    with matplotlib.rc_context(_STYLE):
        figure = _figure(4.8, 0.45 + 0.3 * max(len(labels), 1))
        axes = figure.add_subplot()
        positions = range(len(values))
        bars = axes.barh(positions, values, color=BRAND, height=0.62)
        axes.set_yticks(positions, labels)
        axes.invert_yaxis()
        axes.xaxis.get_major_locator().set_params(integer=True)
        axes.grid(axis="x", color=GRID, linewidth=0.8)
        axes.set_axisbelow(True)
        axes.set_xlim(0, max(max(values, default=0), 1) * 1.15)
        axes.tick_params(axis="y", length=0)
        axes.bar_label(bars, labels=[str(v) for v in values], padding=3, fontsize=10, color=INK)
        return _svg(figure, title)
