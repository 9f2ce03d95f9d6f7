"""Verification accuracy from genuine and impostor similarity scores.

Scores are cosine similarities of embeddings. Protected templates of one user share that
user's rotation, and a rotation preserves cosine exactly, so these are the very scores the
matcher compares with its threshold.

Confidence intervals: the Wilson score interval treats every pair as an independent trial,
which pairs are not (every photo of a person appears in many pairs, and a few people decide
most errors), so it is too narrow; :func:`fnmr_interval_by_identity` resamples whole people
instead, which is the honest interval for a set of a dozen people.
"""

import math
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
        impostor = np.sort(self.impostor)
        below = np.searchsorted(impostor, self.genuine, "left")
        ties = np.searchsorted(impostor, self.genuine, "right") - below
        return float((below + 0.5 * ties).sum() / (len(self.genuine) * len(impostor)))

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
    pairs = labelled_pair_scores(embeddings, identities, list(range(len(identities))))
    return pairs.genuine, pairs.impostor


@dataclass
class LabelledPairs:
    """Pair scores with the people they compare: ``*_people`` rows are ``(person, person)``."""

    genuine: np.ndarray
    genuine_people: np.ndarray
    impostor: np.ndarray
    impostor_people: np.ndarray


def labelled_pair_scores(
    embeddings: np.ndarray, identities: list[str], sources: list
) -> LabelledPairs:
    """Genuine and impostor scores of all pairs of unit embeddings, with their people.

    ``sources[i]`` names the photo capture ``i`` was made from; two captures of one photo
    (the photo and a degraded copy of it) are not a pair: a matcher never compares them.
    """
    similarity = embeddings @ embeddings.T
    labels, origin = np.asarray(identities), np.asarray(sources)
    upper = np.triu(np.ones_like(similarity, dtype=bool), k=1)
    same = labels[:, None] == labels[None, :]
    genuine = upper & same & (origin[:, None] != origin[None, :])
    impostor = upper & ~same
    first = np.broadcast_to(labels[:, None], same.shape)
    second = np.broadcast_to(labels[None, :], same.shape)
    return LabelledPairs(
        genuine=similarity[genuine],
        genuine_people=np.stack([first[genuine], second[genuine]], axis=1),
        impostor=similarity[impostor],
        impostor_people=np.stack([first[impostor], second[impostor]], axis=1),
    )


def wilson_interval(errors: int, trials: int, *, z: float = 1.959964) -> tuple[float, float]:
    """Wilson score interval (95 % by default) of a rate of ``errors`` in ``trials``."""
    if trials <= 0:
        return 0.0, 1.0
    rate = errors / trials
    denominator = 1 + z * z / trials
    centre = (rate + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(rate * (1 - rate) / trials + z * z / (4 * trials * trials)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def _people_draws(labels: np.ndarray, rounds: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, len(labels), (rounds, len(labels)))


def fnmr_interval_by_identity(
    genuine: np.ndarray,
    people: np.ndarray,
    threshold: float,
    *,
    rounds: int = 2000,
    level: float = 0.95,
    seed: int = 17,
) -> tuple[float, float]:
    """Percentile bootstrap interval of the FNMR at ``threshold``, resampling people.

    ``people[i]`` is the person of genuine pair ``i`` (or its ``(person, person)`` row). Each
    round draws as many people as there are, with replacement, and pools their genuine pairs.
    """
    people = np.asarray(people)
    labels, index = np.unique(people[:, 0] if people.ndim == 2 else people, return_inverse=True)
    misses = np.bincount(index, weights=genuine < threshold, minlength=len(labels))
    pairs = np.bincount(index, minlength=len(labels)).astype(np.float64)
    draws = _people_draws(labels, rounds, seed)
    rates = misses[draws].sum(axis=1) / np.maximum(pairs[draws].sum(axis=1), 1.0)
    tail = (1 - level) / 2
    low, high = np.quantile(rates, [tail, 1 - tail])
    return float(low), float(high)


def fmr_interval_by_identity(
    impostor: np.ndarray,
    people: np.ndarray,
    threshold: float,
    *,
    rounds: int = 2000,
    level: float = 0.95,
    seed: int = 17,
) -> tuple[float, float]:
    """Percentile bootstrap interval of the FMR at ``threshold``, resampling people.

    ``people[i]`` is the ``(person, person)`` row of impostor pair ``i``. Each round draws as
    many people as there are, with replacement, and pools the impostor pairs of every two
    different people drawn: a few look-alike couples of people decide the tail, and this
    interval shows how much the FMR depends on whether they happen to be in the set.
    """
    labels, index = np.unique(np.asarray(people), return_inverse=True)
    index = index.reshape(-1, 2)
    size = len(labels)
    matches = np.zeros((size, size))
    totals = np.zeros((size, size))
    np.add.at(matches, (index[:, 0], index[:, 1]), impostor >= threshold)
    np.add.at(totals, (index[:, 0], index[:, 1]), 1.0)
    matches, totals = matches + matches.T, totals + totals.T
    rates = []
    for draw in _people_draws(labels, rounds, seed):
        counts = np.bincount(draw, minlength=size).astype(np.float64)
        weight = np.outer(counts, counts)  # how often each couple of people is drawn
        pooled = (weight * totals).sum()
        rates.append((weight * matches).sum() / pooled if pooled else 0.0)
    tail = (1 - level) / 2
    low, high = np.quantile(rates, [tail, 1 - tail])
    return float(low), float(high)
