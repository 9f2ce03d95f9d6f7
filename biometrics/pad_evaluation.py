"""Presentation-attack detection (PAD) error rates in ISO/IEC 30107-3 terms, and their calibration.

Inputs are analysed captures (embedding and the two passive liveness scores, or the pipeline's
error code) of labelled photos: genuine ones (each photo as taken and its degraded captures,
:mod:`biometrics.capture_variants`) and simulated attacks (:mod:`biometrics.presentation_attacks`).

Every photo as taken serves in turn as a person's enrollment. A *presentation* is one capture
shown to that enrolled face:

- bona fide: a genuine capture of the person made from another photo;
- attack of a type: an attack made from another photo of the person, or, for the replays, from
  the enrollment photo itself.

Each presentation goes through the server's decision in upload mode at level PASSIVE, in its
order: the pipeline (a capture it cannot use is refused), passive liveness
(:func:`recognize_sdk.face.liveness.scores_pass`), the match at the threshold, then the replay
check (:func:`biometrics.replay.near_duplicate` against the enrollment). The PAD subsystem's
verdict is "attack" when liveness fails or the probe is a near-duplicate of the enrollment.

- APCER (per attack type): attack presentations the PAD subsystem classifies as bona fide.
- BPCER: bona fide presentations it classifies as attacks.
- IAPAR (per type): attack presentations the whole path accepts (PAD passes and the face
  matches): what an attacker gets.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from biometrics.replay import near_duplicate
from recognize_sdk.face.liveness import scores_pass

BONA_FIDE = "bona_fide"


@dataclass
class Capture:
    """One analysed capture: where it comes from, and what the pipeline made of it."""

    photo: str
    identity: str
    kind: str  # BONA_FIDE or an attack type
    variant: str  # "original", a capture variant, or the attack type
    embedding: np.ndarray | None = field(default=None, repr=False)
    scores: dict[str, float] | None = None
    error: str = ""


@dataclass
class Presentation:
    """One capture shown to one enrolled face, and the decision on it."""

    kind: str
    variant: str
    identity: str
    refused_by_pipeline: bool
    liveness_pass: bool
    replay: bool
    matched: bool

    @property
    def pad_says_bona_fide(self) -> bool:
        """The PAD subsystem's verdict: neither liveness nor the replay check refused it."""
        return not self.refused_by_pipeline and self.liveness_pass and not self.replay

    @property
    def accepted(self) -> bool:
        """Whether the whole decision path lets it through."""
        return self.pad_says_bona_fide and self.matched


def presentations(
    captures: list[Capture],
    *,
    match_threshold: float,
    antispoof_threshold: float | None = None,
    liveness_threshold: float | None = None,
) -> list[Presentation]:
    """Every capture shown to every enrollment of its person (see the module docstring)."""
    enrollments = [
        c
        for c in captures
        if c.kind == BONA_FIDE and c.variant == "original" and c.embedding is not None
    ]
    shown = []
    for enrolled in enrollments:
        for capture in captures:
            if capture.identity != enrolled.identity:
                continue
            from_enrollment = capture.photo == enrolled.photo
            if capture.kind == BONA_FIDE or not capture.kind.startswith("replay_"):
                if from_enrollment:
                    continue
            elif not from_enrollment:
                continue
            shown.append(
                _decide(enrolled, capture, match_threshold, antispoof_threshold, liveness_threshold)
            )
    return shown


def _decide(
    enrolled: Capture,
    capture: Capture,
    match_threshold: float,
    antispoof_threshold: float | None,
    liveness_threshold: float | None,
) -> Presentation:
    if capture.embedding is None or capture.scores is None:
        return Presentation(
            capture.kind, capture.variant, capture.identity, True, False, False, False
        )
    live = scores_pass(
        capture.scores,
        antispoof_threshold=antispoof_threshold,
        liveness_threshold=liveness_threshold,
    )
    return Presentation(
        kind=capture.kind,
        variant=capture.variant,
        identity=capture.identity,
        refused_by_pipeline=False,
        liveness_pass=live,
        replay=near_duplicate(capture.embedding, enrolled.embedding),
        matched=float(np.dot(enrolled.embedding, capture.embedding)) >= match_threshold,
    )


def calibrate(captures: list[Capture], *, bpcer_target: float) -> tuple[float, float]:
    """Thresholds (antispoof, liveness) refusing at most ``bpcer_target`` of bona fide captures.

    Both thresholds are the same low quantile of their model's scores on the bona fide captures
    the pipeline could use; the quantile is the largest (on a 0.1 % grid) whose joint refusal
    rate stays within the target.
    """
    scored = [c.scores for c in captures if c.kind == BONA_FIDE and c.scores is not None]
    antispoof = np.array([s["antispoof"] for s in scored])
    liveness = np.array([s["liveness"] for s in scored])
    best = (0.0, 0.0)
    for q in np.arange(0.0, bpcer_target + 1e-9, 0.001):
        thresholds = (float(np.quantile(antispoof, q)), float(np.quantile(liveness, q)))
        refused = np.mean((antispoof < thresholds[0]) | (liveness < thresholds[1]))
        if refused <= bpcer_target:
            best = thresholds
    return best


def error_rates(shown: list[Presentation]) -> dict:
    """BPCER, and APCER and IAPAR per attack type, with counts and a breakdown by cause."""
    bona_fide = [p for p in shown if p.kind == BONA_FIDE]
    usable = [p for p in bona_fide if not p.refused_by_pipeline]
    report = {
        "bona_fide": {
            "presentations": len(usable),
            "not_usable": len(bona_fide) - len(usable),
            "bpcer": _rate(sum(not p.pad_says_bona_fide for p in usable), len(usable)),
            "refused_by_liveness": sum(not p.liveness_pass for p in usable),
            "refused_as_replay": sum(p.liveness_pass and p.replay for p in usable),
            "accepted": _rate(sum(p.accepted for p in usable), len(usable)),
            "by_variant": {},
        },
        "attacks": {},
    }
    for variant in dict.fromkeys(p.variant for p in usable):
        these = [p for p in usable if p.variant == variant]
        report["bona_fide"]["by_variant"][variant] = {
            "presentations": len(these),
            "bpcer": _rate(sum(not p.pad_says_bona_fide for p in these), len(these)),
        }
    for kind in dict.fromkeys(p.kind for p in shown if p.kind != BONA_FIDE):
        attacks = [p for p in shown if p.kind == kind]
        report["attacks"][kind] = {
            "presentations": len(attacks),
            "refused_by_pipeline": sum(p.refused_by_pipeline for p in attacks),
            "refused_by_liveness": sum(
                not p.refused_by_pipeline and not p.liveness_pass for p in attacks
            ),
            "refused_as_replay": sum(p.liveness_pass and p.replay for p in attacks),
            "apcer": _rate(sum(p.pad_says_bona_fide for p in attacks), len(attacks)),
            "iapar": _rate(sum(p.accepted for p in attacks), len(attacks)),
        }
    return report


def _rate(count: int, total: int) -> float:
    return round(count / total, 5) if total else 0.0
