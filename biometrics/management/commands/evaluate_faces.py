"""``manage.py evaluate_faces DIR``: run the whole face pipeline on a labelled photo set.

DIR holds one sub-folder per identity. Prints genuine/impostor pair counts, ROC AUC, EER,
FNMR at FMR = 1 %, 0.1 % and 0 with their thresholds, failures to enroll, and the error rates
at the default threshold; writes a ROC plot and, with ``--json``, a report.
"""

import json
import sys
import time
from pathlib import Path

import numpy as np
from django.core.management.base import BaseCommand, CommandError

from biometrics import conf
from biometrics.evaluation import Evaluation, pair_scores, roc_plot_png

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp"}


class Command(BaseCommand):
    help = "Evaluate face verification accuracy on DIR (one sub-folder per identity)."

    def add_arguments(self, parser):
        parser.add_argument("directory", type=Path)
        parser.add_argument("--json", type=Path, help="write the report as JSON here")
        parser.add_argument(
            "--plot",
            type=Path,
            default=Path("docs/face-roc.png"),
            help="where to write the ROC plot (PNG)",
        )
        parser.add_argument(
            "--threshold",
            type=float,
            default=None,
            help="operating threshold to report (default: the configured one)",
        )

    def handle(self, *args, directory: Path, **options):
        from recognize_sdk.face import FaceError, analyze_face

        photos = sorted(p for p in directory.glob("*/*") if p.suffix.lower() in IMAGE_SUFFIXES)
        if not photos:
            raise CommandError(f"no photos in sub-folders of {directory}")
        embeddings, identities, failures = [], [], {}
        started = time.monotonic()
        for number, photo in enumerate(photos, 1):
            name = f"{photo.parent.name}/{photo.name}"
            try:
                embeddings.append(analyze_face(photo.read_bytes()).embedding)
                identities.append(photo.parent.name)
                outcome = "ok"
            except FaceError as error:
                failures[name] = error.code
                outcome = error.code
            print(f"[{number}/{len(photos)}] {name}: {outcome}", file=sys.stderr, flush=True)
        genuine, impostor = pair_scores(np.stack(embeddings), identities)
        if not len(genuine) or not len(impostor):
            raise CommandError("need at least two identities with two usable photos each")
        evaluation = Evaluation(genuine, impostor)
        threshold = options["threshold"]
        if threshold is None:
            threshold = conf.BIOMETRICS_MATCH_THRESHOLD
        report = self._report(evaluation, threshold, len(photos), failures)
        report["seconds"] = round(time.monotonic() - started, 1)
        options["plot"].parent.mkdir(parents=True, exist_ok=True)
        roc_plot_png(evaluation, options["plot"], operating_threshold=threshold)
        report["plot"] = str(options["plot"])
        if options["json"]:
            options["json"].write_text(json.dumps(report, indent=2) + "\n")
        self._print(report)

    @staticmethod
    def _report(evaluation: Evaluation, threshold: float, photos: int, failures: dict) -> dict:
        eer, eer_threshold = evaluation.eer()
        fmr, fnmr = evaluation.at_threshold(threshold)
        at = {}
        for label, target in [("fmr_1e-2", 0.01), ("fmr_1e-3", 0.001), ("fmr_0", 0.0)]:
            miss, at_threshold = evaluation.at_fmr(target)
            at[label] = {"fnmr": miss, "threshold": at_threshold}
        return {
            "photos": photos,
            "failures_to_enroll": len(failures),
            "failed_photos": failures,
            "pairs": {"genuine": len(evaluation.genuine), "impostor": len(evaluation.impostor)},
            "auc": evaluation.auc(),
            "eer": eer,
            "eer_threshold": eer_threshold,
            "fnmr_at": at,
            "at_default_threshold": {"threshold": threshold, "fmr": fmr, "fnmr": fnmr},
        }

    def _print(self, report: dict) -> None:
        out = self.stdout.write
        out(
            f"photos {report['photos']}, failures to enroll {report['failures_to_enroll']}"
            f" {report['failed_photos'] or ''}"
        )
        out(f"pairs: genuine {report['pairs']['genuine']}, impostor {report['pairs']['impostor']}")
        out(
            f"ROC AUC {report['auc']:.4f}   EER {report['eer']:.2%} "
            f"(threshold {report['eer_threshold']:.4f})"
        )
        for label, values in report["fnmr_at"].items():
            target = label.replace("fmr_", "FMR = ")
            out(f"FNMR at {target:<10} {values['fnmr']:.2%} (threshold {values['threshold']:.4f})")
        default = report["at_default_threshold"]
        out(
            f"at threshold {default['threshold']:.4f}: FMR {default['fmr']:.3%}, "
            f"FNMR {default['fnmr']:.2%}"
        )
        out(f"ROC plot: {report['plot']}")
