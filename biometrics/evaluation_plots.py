"""The evaluation's figures: a DET curve and genuine/impostor score histograms (matplotlib).

Both mark the operating threshold. Error rates of zero cannot sit on a log axis; they are drawn
at the smallest rate the pair count can show (one error in all pairs), and the axes say so.
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)
import numpy as np  # noqa: E402

from biometrics.evaluation import Evaluation  # noqa: E402

GENUINE_COLOUR = "#1f77b4"
IMPOSTOR_COLOUR = "#d62728"
OPERATING_COLOUR = "#111111"


def det_plot_png(
    evaluation: Evaluation, path: Path, *, threshold: float, title: str = "DET curve"
) -> None:
    """FNMR against FMR, both on log axes, with ``threshold`` marked; written as PNG."""
    fmr_floor = 1 / len(evaluation.impostor)
    fnmr_floor = 1 / len(evaluation.genuine)
    fmr = np.maximum(evaluation.fmr, fmr_floor)
    fnmr = np.maximum(evaluation.fnmr, fnmr_floor)
    figure, axes = plt.subplots(figsize=(7, 5.5), dpi=110)
    axes.plot(fmr, fnmr, color=GENUINE_COLOUR, linewidth=2, drawstyle="steps-post")
    for target in (1e-3, 1e-4):
        axes.axvline(target, color="#999999", linestyle=":", linewidth=1)
        axes.text(target, 1.05, f"FMR {target:g}", ha="center", va="bottom", fontsize=8)
    op_fmr, op_fnmr = evaluation.at_threshold(threshold)
    axes.plot(
        [max(op_fmr, fmr_floor)],
        [max(op_fnmr, fnmr_floor)],
        marker="o",
        markersize=9,
        markerfacecolor="none",
        markeredgewidth=2,
        color=OPERATING_COLOUR,
        linestyle="none",
        label=f"shipped threshold {threshold:.3f}: FMR {op_fmr:.3%}, FNMR {op_fnmr:.2%}",
    )
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlim(fmr_floor / 1.5, 1.0)
    axes.set_ylim(fnmr_floor / 1.5, 1.0)
    axes.set_xlabel(f"false match rate (log; 0 drawn at {fmr_floor:.0e})")
    axes.set_ylabel(f"false non-match rate (log; 0 drawn at {fnmr_floor:.0e})")
    axes.set_title(title, pad=18)
    axes.grid(True, which="both", color="#e3e6eb", linewidth=0.6)
    axes.legend(loc="upper right", fontsize=9)
    figure.tight_layout()
    figure.savefig(path, format="png")
    plt.close(figure)


def histogram_plot_png(
    evaluation: Evaluation, path: Path, *, threshold: float, title: str = "Score distributions"
) -> None:
    """Histograms of genuine and impostor scores (log counts) with ``threshold`` marked."""
    scores = np.concatenate([evaluation.genuine, evaluation.impostor])
    bins = np.linspace(float(scores.min()), 1.0, 80)
    figure, axes = plt.subplots(figsize=(7, 4.5), dpi=110)
    axes.hist(
        evaluation.impostor,
        bins=bins,
        color=IMPOSTOR_COLOUR,
        alpha=0.55,
        label=f"impostor pairs ({len(evaluation.impostor):,})",
    )
    axes.hist(
        evaluation.genuine,
        bins=bins,
        color=GENUINE_COLOUR,
        alpha=0.55,
        label=f"genuine pairs ({len(evaluation.genuine):,})",
    )
    axes.axvline(threshold, color=OPERATING_COLOUR, linestyle="--", linewidth=1.5)
    axes.text(
        threshold,
        axes.get_ylim()[1],
        f" threshold {threshold:.3f}",
        ha="left",
        va="top",
        fontsize=9,
    )
    axes.set_yscale("log")
    axes.set_xlabel("cosine similarity")
    axes.set_ylabel("pairs (log)")
    axes.set_title(title)
    axes.legend(loc="upper left", fontsize=9)
    figure.tight_layout()
    figure.savefig(path, format="png")
    plt.close(figure)
