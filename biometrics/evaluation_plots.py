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


ATTACK_COLOURS = ("#d62728", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22")


def pad_scores_plot_png(
    scored: list[tuple[str, dict[str, float]]],
    path: Path,
    *,
    thresholds: tuple[float, float],
    title: str = "Passive liveness scores",
) -> None:
    """Antispoof against liveness score per capture, by kind, with the thresholds; as PNG."""
    figure, axes = plt.subplots(figsize=(7, 6), dpi=110)
    kinds = list(dict.fromkeys(kind for kind, _ in scored))
    kinds.sort(key=lambda kind: kind != "bona_fide")
    for index, kind in enumerate(kinds):
        points = np.array([[s["antispoof"], s["liveness"]] for k, s in scored if k == kind])
        bona_fide = kind == "bona_fide"
        axes.scatter(
            points[:, 0],
            points[:, 1],
            s=8 if bona_fide else 14,
            alpha=0.35 if bona_fide else 0.8,
            color=GENUINE_COLOUR if bona_fide else ATTACK_COLOURS[index % len(ATTACK_COLOURS)],
            marker="o" if bona_fide else "x",
            label=kind.replace("_", " "),
        )
    axes.axvline(thresholds[0], color=OPERATING_COLOUR, linestyle="--", linewidth=1)
    axes.axhline(thresholds[1], color=OPERATING_COLOUR, linestyle="--", linewidth=1)
    axes.text(thresholds[0], 1.02, "antispoof threshold", fontsize=8, ha="center")
    axes.set_xlim(0, 1)
    axes.set_ylim(0, 1.06)
    axes.set_xlabel("antispoof score (probability real)")
    axes.set_ylabel("liveness score (probability live)")
    axes.set_title(title)
    axes.legend(loc="lower left", fontsize=8)
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)
