"""The report's chart as PNG bytes, drawn from stored figures (never from a fresh query),
so a retried upload sends the same picture as the post it belongs to.

Per risk kind: ARR at risk now split into saveable and high risk (one stacked bar), and
beside it the ARR saved and churned in the period; a black diamond on each bar marks the
previous period's figure (at risk: as that period ended; docs/reports.md, *Trend*). Colours are the
Okabe-Ito palette (distinguishable with the common colour-vision deficiencies) and high risk is also
hatched, so the split survives a greyscale print. matplotlib's object API with the Agg
canvas: no display, no pyplot global state, safe in worker threads. matplotlib is imported
when a chart is drawn, not with the module: it costs every command half a second otherwise.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from bot.common.formatting import whole_money as money
from bot.reports.models import Figures, Report
from bot.reports.words import PERIOD_WORDS, kind_label, short_money

SAVEABLE = "#0072B2"  # blue
HIGH_RISK = "#D55E00"  # vermillion
SAVED = "#009E73"  # bluish green
CHURNED = "#7F7F7F"  # grey
BAR = 0.26
MAX_KINDS = 8
PREVIOUS_WORDS = {
    "week": "7 days before",
    "month": "30 days before",
    "quarter": "90 days before",
}

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def _kinds(report: Report) -> list[tuple[str, Figures]]:
    """Kinds with anything to show, most ARR at risk first (at most MAX_KINDS)."""
    shown = [(k, f) for k, f in report.kinds if f.arr_at_risk or f.arr_saved or f.arr_churned]
    shown.sort(key=lambda kf: (-kf[1].arr_at_risk, -kf[1].arr_saved, kf[0]))
    return shown[:MAX_KINDS]


def render_png(report: Report, dpi: int = 110) -> bytes:
    """The chart of `report` as PNG bytes (about 1000 x (300 + 90 per kind) pixels)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

    kinds = _kinds(report)
    fig = Figure(figsize=(9.5, 2.6 + 0.85 * max(len(kinds), 1)), dpi=dpi, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    cur = report.currency
    when = PERIOD_WORDS[report.period]
    fig.suptitle(
        f"ARR at risk by kind, with ARR saved and churned {when}", fontsize=13, weight="bold"
    )
    if not kinds:
        ax.text(0.5, 0.5, "No ARR at risk, saved or churned", ha="center", va="center")
        ax.set_axis_off()
        return _png(fig)
    rows = list(range(len(kinds)))[::-1]  # first kind on top
    saveable = [float(f.arr_saveable) for _, f in kinds]
    high = [float(f.arr_high_risk) for _, f in kinds]
    saved = [float(f.arr_saved) for _, f in kinds]
    churned = [float(f.arr_churned) for _, f in kinds]
    ax.barh([r + BAR for r in rows], saveable, BAR, color=SAVEABLE, label="At risk: saveable")
    ax.barh(
        [r + BAR for r in rows], high, BAR, left=saveable, color=HIGH_RISK,
        hatch="//", edgecolor="white", label="At risk: high risk",
    )  # fmt: skip
    ax.barh(rows, saved, BAR, color=SAVED, label=f"Saved {when}")
    ax.barh([r - BAR for r in rows], churned, BAR, color=CHURNED, label=f"Churned {when}")
    before = _before(report, kinds)
    top = max(
        [s + h for s, h in zip(saveable, high, strict=True)] + saved + churned + before + [1.0]
    )
    for r, (_, f) in zip(rows, kinds, strict=True):
        _label(ax, r + BAR, float(f.arr_at_risk), money(f.arr_at_risk, cur), top)
        _label(ax, r, float(f.arr_saved), money(f.arr_saved, cur), top)
        _label(ax, r - BAR, float(f.arr_churned), money(f.arr_churned, cur), top)
    if report.previous is not None:
        ys = [r + BAR for r in rows] + rows + [r - BAR for r in rows]
        ax.scatter(
            before, ys, marker="D", s=34, color="black", edgecolors="white",
            linewidths=0.8, zorder=3, label=f"The {PREVIOUS_WORDS[report.period]}",
        )  # fmt: skip
    ax.set_yticks(rows, [f"{kind_label(k)}\n{f.open} open" for k, f in kinds], fontsize=10)
    ax.set_xlim(0, top * 1.22)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: short_money(v, cur)))
    ax.set_xlabel(f"ARR ({cur})")
    ax.grid(axis="x", color="#DDDDDD", linewidth=0.8)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    fig.legend(loc="outside lower center", ncols=5, frameon=False, fontsize=9)
    return _png(fig)


def _before(report: Report, kinds: list[tuple[str, Figures]]) -> list[float]:
    """The previous period's at risk, saved and churned ARR of each shown kind (in the
    order the bars are drawn: at risk of every kind, then saved, then churned); [] without
    a trend."""
    if report.previous is None:
        return []
    figs = [report.previous.kind(k) for k, _ in kinds]
    return (
        [float(f.arr_at_risk) for f in figs]
        + [float(f.arr_saved) for f in figs]
        + [float(f.arr_churned) for f in figs]
    )


def _label(ax: object, y: float, value: float, text: str, top: float) -> None:
    if value > 0:
        ax.text(value + top * 0.01, y, text, va="center", fontsize=8.5)  # type: ignore[attr-defined]


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()
