"""Protected face templates (sealed at rest) and the jobs that enroll and match faces."""

import uuid

from django.db import models

from accounts.models import EndUser, Tenant
from actions.models import Action
from devices.models import Authenticator, Device


class TemplateSource(models.TextChoices):
    ON_DEVICE = "ON_DEVICE", "Protected on the device"
    UPLOAD = "UPLOAD", "Computed from an uploaded image"


class FaceTemplate(models.Model):
    """A user's enrolled face: a protected (rotated) embedding, AES-GCM sealed at rest.

    The rotation seed is never stored here; without it the row cannot be linked to any other
    enrollment of the same face, and it only opens with the tenant's data key.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(EndUser, on_delete=models.CASCADE, related_name="face_templates")
    authenticator = models.OneToOneField(
        Authenticator, on_delete=models.CASCADE, related_name="face_template"
    )
    sealed_template = models.BinaryField()
    source = models.CharField(max_length=16, choices=TemplateSource.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"face template {self.id} of {self.user_id}"


class JobKind(models.TextChoices):
    ENROLL = "ENROLL"
    MATCH = "MATCH"
    RECOVER = "RECOVER"


class JobStatus(models.TextChoices):
    PENDING = "PENDING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"


class FaceJob(models.Model):
    """One enrollment or match handed to a worker. It holds no face data: the probe or image
    travels only inside the (encrypted) task message and lives only in worker memory."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(EndUser, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=8, choices=JobKind.choices)
    action = models.ForeignKey(Action, on_delete=models.CASCADE, null=True, blank=True)
    device = models.ForeignKey(Device, on_delete=models.SET_NULL, null=True, blank=True)
    token_jti = models.CharField(max_length=64, blank=True)
    token_expires_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=JobStatus.choices, default=JobStatus.PENDING)
    error_code = models.CharField(max_length=64, blank=True)
    error_message = models.CharField(max_length=300, blank=True)
    authenticator = models.ForeignKey(
        Authenticator, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.kind} {self.status}"


class AcceptedProbe(models.Model):
    """A probe that matched a face, kept only so that its replay can be refused.

    It is the protected (rotated) probe, sealed like the enrolled template and removed with the
    face; only the last ``BIOMETRICS_REPLAY_HISTORY`` of a face are kept. No image is kept.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    authenticator = models.ForeignKey(
        Authenticator, on_delete=models.CASCADE, related_name="accepted_probes"
    )
    sealed_probe = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["authenticator", "-created_at"])]

    def __str__(self) -> str:
        return f"accepted probe {self.id} of {self.authenticator_id}"
