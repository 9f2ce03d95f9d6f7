"""Replay detection: refuse a probe that repeats the enrolled capture or an accepted probe.

A new capture of a live face is not as close to an earlier one as a copy of the same photo is:
on the dev set two photos of one person score at most 0.988, while re-encoded, resized, rotated
or warped copies of one photo score 0.993 or more (``evaluate_faces``). A probe at
``BIOMETRICS_REPLAY_SIMILARITY`` or closer to the enrolled template, or to one of the last
``BIOMETRICS_REPLAY_HISTORY`` probes that matched, is therefore a replay: the enrollment photo
sent again, an earlier selfie re-submitted, or a captured protected template posted twice.

What is kept for that is the protected probe (rotated by the enrollment's seed, so unlinkable
to any other enrollment), sealed under the tenant's data key like the template itself, and
deleted with the face. Never an image.
"""

import numpy as np

from accounts import encryption
from biometrics import conf
from biometrics.models import AcceptedProbe
from devices.models import Authenticator

PURPOSE = "face-accepted-probe"


def _context(probe: AcceptedProbe) -> bytes:
    return probe.id.bytes + str(probe.authenticator_id).encode()


def near_duplicate(probe: np.ndarray, earlier: np.ndarray) -> bool:
    """Whether ``probe`` is as close to the ``earlier`` capture as a copy of it would be."""
    return float(np.dot(earlier, probe)) >= conf.BIOMETRICS_REPLAY_SIMILARITY


def probe_is_replay(*, face: Authenticator, enrolled: np.ndarray, probe: np.ndarray) -> bool:
    """Whether ``probe`` is a near-duplicate of the enrolled template or an accepted probe."""
    if near_duplicate(probe, enrolled):
        return True
    for accepted in AcceptedProbe.objects.filter(authenticator=face).select_related("tenant"):
        raw = encryption.unseal(
            tenant=accepted.tenant,
            blob=accepted.sealed_probe,
            purpose=PURPOSE,
            context=_context(accepted),
        )
        if near_duplicate(probe, np.frombuffer(raw, dtype="<f4")):
            return True
    return False


def probe_remember(*, face: Authenticator, probe: np.ndarray) -> None:
    """Keep ``probe`` (sealed) among the face's last accepted probes."""
    accepted = AcceptedProbe(tenant=face.tenant, authenticator=face)
    accepted.sealed_probe = encryption.seal(
        tenant=face.tenant,
        plaintext=np.asarray(probe, dtype="<f4").tobytes(),
        purpose=PURPOSE,
        context=_context(accepted),
    )
    accepted.save()
    stale = AcceptedProbe.objects.filter(authenticator=face).order_by("-created_at", "-id")[
        conf.BIOMETRICS_REPLAY_HISTORY :
    ]
    AcceptedProbe.objects.filter(pk__in=[p.pk for p in stale]).delete()
