"""Verification accuracy from genuine and impostor similarity scores.

Scores are cosine similarities of embeddings. Protected templates of one user share that
user's rotation, and a rotation preserves cosine exactly, so these are the very scores the
matcher compares with its threshold.
"""

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Evaluation:
    """Error rates of a score set; thresholds mean "match when score ≥ threshold"."""

    genuine: np.ndarray
    impostor: np.ndarray
    thresholds: np.ndarray = field(init=False)
    fmr: np.ndarray = field(init=False)
    fnmr: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        scores = np.unique(np.concatenate([self.genuine, self.impostor]))
        self.thresholds = np.concatenate([scores, [np.inf]])
        impostor = np.sort(self.impostor)
        genuine = np.sort(self.genuine)
        self.fmr = 1.0 - np.searchsorted(impostor, self.thresholds, "left") / len(impostor)
        self.fnmr = np.searchsorted(genuine, self.thresholds, "left") / len(genuine)

    def auc(self) -> float:
        """Area under the ROC curve: P(genuine score > impostor score), ties counting half."""
        greater = (self.genuine[:, None] > self.impostor[None, :]).mean()
        ties = (self.genuine[:, None] == self.impostor[None, :]).mean()
        return float(greater + 0.5 * ties)

    def eer(self) -> tuple[float, float]:
        """Equal error rate and its threshold (where FMR and FNMR cross)."""
        index = int(np.argmin(np.abs(self.fmr - self.fnmr)))
        return float((self.fmr[index] + self.fnmr[index]) / 2), float(self.thresholds[index])

    def at_fmr(self, target: float) -> tuple[float, float]:
        """The lowest threshold whose FMR ≤ ``target``, and the FNMR there."""
        index = int(np.argmax(self.fmr <= target))
        return float(self.fnmr[index]), float(self.thresholds[index])

    def at_threshold(self, threshold: float) -> tuple[float, float]:
        """FMR and FNMR when matching at ``threshold``."""
        fmr = float((self.impostor >= threshold).mean())
        fnmr = float((self.genuine < threshold).mean())
        return fmr, fnmr


def pair_scores(embeddings: np.ndarray, identities: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Cosine scores of all genuine (same identity) and impostor pairs of unit embeddings."""
    similarity = embeddings @ embeddings.T
    labels = np.asarray(identities)
    upper = np.triu(np.ones_like(similarity, dtype=bool), k=1)
    same = labels[:, None] == labels[None, :]
    return similarity[upper & same], similarity[upper & ~same]


def roc_plot_png(evaluation: Evaluation, path, *, operating_threshold: float | None = None):
    """Draw the ROC curve (TMR against FMR on a log axis) into a PNG at ``path``."""
    from PIL import Image, ImageDraw

    width, height, margin = 720, 520, 70
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    low = -4.0

    def point(fmr: float, fnmr: float) -> tuple[float, float]:
        x = (max(np.log10(max(fmr, 1e-12)), low) - low) / -low
        return margin + x * (width - 2 * margin), height - margin - (1 - fnmr) * (
            height - 2 * margin
        )

    for decade in range(int(low), 1):
        x, _ = point(10.0**decade, 1)
        draw.line([(x, margin), (x, height - margin)], fill="#e3e6eb")
        draw.text((x - 14, height - margin + 8), f"1e{decade}", fill="#333")
    for tick in np.linspace(0, 1, 6):
        _, y = point(1, 1 - tick)
        draw.line([(margin, y), (width - margin, y)], fill="#e3e6eb")
        draw.text((margin - 40, y - 6), f"{tick:.1f}", fill="#333")
    draw.rectangle([margin, margin, width - margin, height - margin], outline="#333")
    # from the strictest threshold (nothing matches) to the laxest (everything matches)
    curve = [point(f, n) for f, n in zip(evaluation.fmr, evaluation.fnmr, strict=True)][::-1]
    draw.line(curve, fill="#2456d6", width=3)
    draw.text((margin + 4, height - margin - 18), "FMR 0 drawn at 1e-4", fill="#666")
    if operating_threshold is not None:
        x, y = point(*evaluation.at_threshold(operating_threshold))
        draw.ellipse([x - 6, y - 6, x + 6, y + 6], outline="#d62424", width=3)
        draw.text((x + 10, y + 4), f"default threshold {operating_threshold:.3f}", fill="#d62424")
    draw.text((width / 2 - 120, height - 30), "false match rate (log scale)", fill="#111")
    draw.text((10, 20), "true match rate (1 - FNMR)", fill="#111")
    draw.text((width / 2 - 60, 20), f"ROC, AUC {evaluation.auc():.4f}", fill="#111")
    image.save(path, format="PNG")
