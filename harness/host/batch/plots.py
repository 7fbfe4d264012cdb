"""Draw the report's plots with matplotlib, as PNG files, without a display or pyplot's global state."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from harness.wire.text import clean_name

BLUE, RED, ORANGE, GREEN = "#4C72B0", "#C44E52", "#DD8452", "#55A868"
MAX_LABEL_CHARS = 48


def _label(text: str) -> str:
    """A short label that matplotlib shows as written (a ``$`` would start math mode)."""
    text = clean_name(text)
    text = text if len(text) <= MAX_LABEL_CHARS else text[: MAX_LABEL_CHARS - 1] + "…"
    return text.replace("$", r"\$")


def score_distribution(scores: list[float], *, max_score: float, title: str, path: Path) -> None:
    """Draw a histogram of ``scores`` (0 to ``max_score``) with their mean, into the PNG file ``path``."""
    figure = Figure(figsize=(6.4, 3.4), dpi=100)
    axes = figure.add_subplot()
    if float(max_score).is_integer() and max_score <= 40:
        bins = list(np.arange(-0.5, max_score + 1.5, 1.0))
    else:
        bins = list(np.linspace(0, max(max_score, 1e-9), 21))
    axes.hist(scores, bins=bins, color=BLUE, edgecolor="white")
    if scores:
        mean = float(np.mean(scores))
        axes.axvline(mean, color=RED, linestyle="--", linewidth=2, label=f"mean {mean:.2f}")
        axes.legend(loc="upper center")
    axes.set_xlim(-0.6, max_score + 0.6)
    axes.set_xlabel(f"score (out of {max_score:g})")
    axes.set_ylabel("candidates")
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_title(title)
    axes.grid(axis="y", alpha=0.3)
    with warnings.catch_warnings():  # a glyph missing from the font (a CJK check name) is not worth a warning
        warnings.simplefilter("ignore", UserWarning)
        figure.tight_layout()
        figure.savefig(path, format="png")


def check_pass_rates(rates: list[tuple[str, float]], *, title: str, path: Path) -> None:
    """Draw one bar per check with the share of candidates who passed it, hardest first, into ``path``."""
    ordered = sorted(rates, key=lambda item: item[1], reverse=True)  # barh draws bottom-up: hardest on top
    figure = Figure(figsize=(6.4, 1.4 + 0.45 * max(len(ordered), 1)), dpi=100)
    axes = figure.add_subplot()
    percentages = [100 * rate for _, rate in ordered]
    colors = [RED if value < 50 else ORANGE if value < 80 else GREEN for value in percentages]
    positions = np.arange(len(ordered))
    axes.barh(positions, percentages, color=colors)
    axes.set_yticks(positions, [_label(name) for name, _ in ordered])
    for position, value in zip(positions, percentages):
        axes.text(min(value + 1.5, 88), float(position), f"{value:.0f}%", va="center", fontsize=9)
    axes.set_xlim(0, 100)
    axes.set_xlabel("candidates who passed (%)")
    axes.set_title(title)
    axes.grid(axis="x", alpha=0.3)
    with warnings.catch_warnings():  # a glyph missing from the font (a CJK check name) is not worth a warning
        warnings.simplefilter("ignore", UserWarning)
        figure.tight_layout()
        figure.savefig(path, format="png")
