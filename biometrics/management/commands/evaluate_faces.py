"""``manage.py evaluate_faces DIR``: run the whole face pipeline on a labelled photo set.

DIR holds one sub-folder per identity. Every photo is analysed as it is and, unless
``--variants none``, as degraded captures made from it (``biometrics.capture_variants``:
small faces, grayscale stills, low JPEG quality, blur, uneven and low light, rotation, a
yaw-like warp, glasses, tight crops). Every pair of captures of one person made from two
different photos is a genuine pair; every pair of captures of two people is an impostor pair.

Prints and, with ``--json``, writes: failures to enroll (rate, by code and by variant), pair
counts, ROC AUC, EER, the threshold and FNMR (with 95 % intervals) at FMR <= 1e-3 and 1e-4,
the error rates at the operating threshold (the configured default unless ``--threshold``),
and the FNMR of each variant against the photos as taken, with its lowest similarity to the
photo it was made from (what replay detection must catch) and its highest to another photo of
the person (what it must let through). Draws a DET curve and score histograms into
``--plots-dir``.

``--pad`` evaluates presentation-attack detection instead (:mod:`biometrics.pad_evaluation`):
the photos, their degraded captures (bona fide) and simulated attacks made from them
(:mod:`biometrics.presentation_attacks`) through the PASSIVE decision path; it calibrates the
passive liveness thresholds for BPCER <= ``--bpcer`` and reports APCER and IAPAR per attack type
at those and at the shipped thresholds, draws the scores into ``face-pad.png`` and rewrites the
PAD section of ``--markdown`` (docs/face-evaluation.md).
"""

import json
import sys
import time
from pathlib import Path

import numpy as np
from django.core.management.base import BaseCommand, CommandError

from biometrics import conf
from biometrics.capture_variants import VARIANTS, capture_variant
from biometrics.evaluation import (
    Evaluation,
    LabelledPairs,
    fmr_interval_by_identity,
    fnmr_interval_by_identity,
    labelled_pair_scores,
    wilson_interval,
)
from biometrics.evaluation_plots import det_plot_png, histogram_plot_png, pad_scores_plot_png
from biometrics.pad_evaluation import BONA_FIDE, Capture, calibrate, error_rates, presentations
from biometrics.presentation_attacks import ATTACKS, presentation_attack
from recognize_sdk.face import FaceError, analyze_face
from recognize_sdk.face import liveness as passive_liveness
from recognize_sdk.face.decode import decode_image
from recognize_sdk.face.detect import find_single_face
from recognize_sdk.face.pipeline import DECODE_MIN_LONG_SIDE

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp"}
ORIGINAL = "original"
FMR_TARGETS = {"fmr_1e-3": 1e-3, "fmr_1e-4": 1e-4}
DET_PLOT = "face-det.png"
HISTOGRAM_PLOT = "face-scores.png"
PAD_PLOT = "face-pad.png"
PAD_BEGIN = "<!-- evaluate_faces --pad: begin -->"
PAD_END = "<!-- evaluate_faces --pad: end -->"


def _rounded(interval: tuple[float, float]) -> list[float]:
    return [round(interval[0], 5), round(interval[1], 5)]


class Command(BaseCommand):
    help = "Evaluate face verification accuracy on DIR (one sub-folder per identity)."

    def add_arguments(self, parser):
        parser.add_argument("directory", type=Path)
        parser.add_argument("--json", type=Path, help="write the report as JSON here")
        parser.add_argument(
            "--plots-dir",
            type=Path,
            default=Path("docs"),
            help=f"where to write {DET_PLOT} and {HISTOGRAM_PLOT}",
        )
        parser.add_argument(
            "--variants",
            default="all",
            help="degraded captures to add: 'all', 'none' or a comma-separated list of "
            + ", ".join(VARIANTS),
        )
        parser.add_argument(
            "--threshold",
            type=float,
            default=None,
            help="operating threshold to report (default: the configured one)",
        )
        parser.add_argument(
            "--pad",
            action="store_true",
            help="evaluate presentation-attack detection (simulated attacks) instead",
        )
        parser.add_argument(
            "--bpcer",
            type=float,
            default=0.03,
            help="with --pad: the BPCER the liveness thresholds are calibrated for",
        )
        parser.add_argument(
            "--markdown",
            type=Path,
            default=Path("docs/face-evaluation.md"),
            help="with --pad: the document whose PAD section is rewritten ('-' for none)",
        )

    def handle(self, *args, directory: Path, **options):
        variants = self._variants(options["variants"])
        photos = sorted(p for p in directory.glob("*/*") if p.suffix.lower() in IMAGE_SUFFIXES)
        if not photos:
            raise CommandError(f"no photos in sub-folders of {directory}")
        started = time.monotonic()
        threshold = options["threshold"]
        if threshold is None:
            threshold = conf.BIOMETRICS_MATCH_THRESHOLD
        if options["pad"]:
            self._pad(photos, variants, threshold, started, options)
            return
        captures = self._analyse(photos, variants)
        embeddings = np.stack([c["embedding"] for c in captures if "embedding" in c])
        usable = [c for c in captures if "embedding" in c]
        pairs = labelled_pair_scores(
            embeddings, [c["identity"] for c in usable], [c["photo"] for c in usable]
        )
        if not len(pairs.genuine) or not len(pairs.impostor):
            raise CommandError("need at least two identities with two usable photos each")
        evaluation = Evaluation(pairs.genuine, pairs.impostor)
        report = {
            "photos": len(photos),
            "identities": len({p.parent.name for p in photos}),
            "variants": [ORIGINAL, *variants],
            "failures_to_enroll": self._failures(captures),
            **self._accuracy(evaluation, pairs, threshold),
            "per_variant": self._per_variant(usable, embeddings, threshold),
        }
        plots = options["plots_dir"]
        plots.mkdir(parents=True, exist_ok=True)
        title = f"{len(photos)} photos x {len(variants) + 1} captures"
        det_plot_png(evaluation, plots / DET_PLOT, threshold=threshold, title=f"DET, {title}")
        histogram_plot_png(
            evaluation, plots / HISTOGRAM_PLOT, threshold=threshold, title=f"Scores, {title}"
        )
        report["plots"] = [str(plots / DET_PLOT), str(plots / HISTOGRAM_PLOT)]
        report["seconds"] = round(time.monotonic() - started, 1)
        if options["json"]:
            options["json"].write_text(json.dumps(report, indent=2) + "\n")
        self._print(report)

    @staticmethod
    def _variants(option: str) -> list[str]:
        if option == "all":
            return list(VARIANTS)
        if option == "none":
            return []
        names = [name.strip() for name in option.split(",") if name.strip()]
        unknown = sorted(set(names) - set(VARIANTS))
        if unknown:
            raise CommandError(f"unknown variants: {', '.join(unknown)}")
        return names

    @staticmethod
    def _analyse(photos: list[Path], variants: list[str]) -> list[dict]:
        """One dict per capture: photo, identity, variant, and embedding or error code."""
        captures = []
        for number, photo in enumerate(photos, 1):
            name = f"{photo.parent.name}/{photo.name}"
            data = photo.read_bytes()
            capture = {"photo": name, "identity": photo.parent.name, "variant": ORIGINAL}
            try:
                capture["embedding"] = analyze_face(data).embedding
            except FaceError as error:
                capture["error"] = error.code
            captures.append(capture)
            made = []
            if variants and "embedding" in capture:
                image = decode_image(data, min_long_side=DECODE_MIN_LONG_SIDE)
                face = find_single_face(image)
                for variant in variants:
                    made.append({**capture, "variant": variant})
                    degraded = capture_variant(variant, image, face.box, face.landmarks, key=name)
                    try:
                        made[-1]["embedding"] = analyze_face(degraded).embedding
                    except FaceError as error:
                        del made[-1]["embedding"]
                        made[-1]["error"] = error.code
            captures.extend(made)
            failed = [f"{c['variant']}: {c['error']}" for c in [capture, *made] if "error" in c]
            print(
                f"[{number}/{len(photos)}] {name}: {1 + len(made) - len(failed)} ok"
                + (f"; {', '.join(failed)}" if failed else ""),
                file=sys.stderr,
                flush=True,
            )
        return captures

    def _pad(
        self, photos: list[Path], variants: list[str], threshold: float, started, options
    ) -> None:
        captures = self._pad_captures(photos, variants)
        bpcer = options["bpcer"]
        calibrated = calibrate(captures, bpcer_target=bpcer)
        shipped = (passive_liveness.ANTISPOOF_THRESHOLD, passive_liveness.LIVENESS_THRESHOLD)
        report = {
            "photos": len(photos),
            "identities": len({p.parent.name for p in photos}),
            "bona_fide_variants": ["original", *variants],
            "attacks": list(ATTACKS),
            "captures": len(captures),
            "not_usable": {
                kind: sum(c.error != "" for c in captures if c.kind == kind)
                for kind in dict.fromkeys(c.kind for c in captures)
            },
            "match_threshold": threshold,
            "replay_similarity": conf.BIOMETRICS_REPLAY_SIMILARITY,
            "bpcer_target": bpcer,
        }
        for label, (antispoof, live) in (("calibrated", calibrated), ("shipped", shipped)):
            shown = presentations(
                captures,
                match_threshold=threshold,
                antispoof_threshold=antispoof,
                liveness_threshold=live,
            )
            report[label] = {
                "antispoof_threshold": round(antispoof, 4),
                "liveness_threshold": round(live, 4),
                **error_rates(shown),
            }
        report["separation_auc"] = self._pad_auc(captures)
        plots = options["plots_dir"]
        plots.mkdir(parents=True, exist_ok=True)
        pad_scores_plot_png(
            [(c.kind, c.scores) for c in captures if c.scores is not None],
            plots / PAD_PLOT,
            thresholds=shipped,
            title=f"Passive liveness scores, {len(photos)} photos",
        )
        report["plots"] = [str(plots / PAD_PLOT)]
        report["seconds"] = round(time.monotonic() - started, 1)
        if options["json"]:
            options["json"].write_text(json.dumps(report, indent=2) + "\n")
        section = self._pad_markdown(report)
        markdown = options["markdown"]
        if str(markdown) != "-":
            self._replace_section(markdown, section)
        self.stdout.write(section)

    @staticmethod
    def _pad_captures(photos: list[Path], variants: list[str]) -> list[Capture]:
        """Each photo, its degraded captures and its attacks, analysed with liveness REPORT."""
        captures = []
        for number, photo in enumerate(photos, 1):
            name = f"{photo.parent.name}/{photo.name}"
            data = photo.read_bytes()
            made = [(BONA_FIDE, "original", data)]
            try:
                image = decode_image(data, min_long_side=DECODE_MIN_LONG_SIDE)
                face = find_single_face(image)
            except FaceError:
                face = None
            if face is not None:
                for variant in variants:
                    degraded = capture_variant(variant, image, face.box, face.landmarks, key=name)
                    made.append((BONA_FIDE, variant, degraded))
                for attack in ATTACKS:
                    spoof = presentation_attack(
                        attack, image, face.box, face.landmarks, key=name, original=data
                    )
                    made.append((attack, attack, spoof))
            for kind, variant, content in made:
                capture = Capture(name, photo.parent.name, kind, variant)
                try:
                    result = analyze_face(content, liveness="REPORT")
                    capture.embedding, capture.scores = result.embedding, result.liveness_scores
                except FaceError as error:
                    capture.error = error.code
                captures.append(capture)
            print(f"[{number}/{len(photos)}] {name}", file=sys.stderr, flush=True)
        return captures

    @staticmethod
    def _pad_auc(captures: list[Capture]) -> dict:
        """Per attack type and model, the probability that a bona fide capture scores higher."""
        scored = [c for c in captures if c.scores is not None]
        genuine = [c for c in scored if c.kind == BONA_FIDE]
        auc: dict[str, dict[str, float]] = {}
        for kind in dict.fromkeys(c.kind for c in scored if c.kind != BONA_FIDE):
            attacks = [c for c in scored if c.kind == kind]
            auc[kind] = {}
            for model in ("antispoof", "liveness"):
                good = np.array([c.scores[model] for c in genuine])[:, None]
                bad = np.array([c.scores[model] for c in attacks])[None, :]
                auc[kind][model] = round(float((good > bad).mean() + 0.5 * (good == bad).mean()), 3)
        return auc

    @staticmethod
    def _pad_markdown(report: dict) -> str:
        calibrated, shipped = report["calibrated"], report["shipped"]
        lines = [
            PAD_BEGIN,
            "",
            f"Generated by `evaluate_faces --pad` in {report['seconds']:.0f} s: "
            f"{report['photos']} photos of {report['identities']} people, "
            f"{report['captures']} captures; match threshold {report['match_threshold']}, "
            f"replay similarity {report['replay_similarity']}.",
            "",
            f"Shipped thresholds: antispoof >= {shipped['antispoof_threshold']}, liveness >= "
            f"{shipped['liveness_threshold']} (calibrated on this run for BPCER <= "
            f"{report['bpcer_target']:.0%}: {calibrated['antispoof_threshold']}, "
            f"{calibrated['liveness_threshold']}).",
            "",
            "| presentations | n | refused: pipeline | liveness | replay | APCER / BPCER | IAPAR |",
            "|---|---|---|---|---|---|---|",
        ]
        bona = shipped["bona_fide"]
        lines.append(
            f"| bona fide (photos and degraded captures) | {bona['presentations']} | "
            f"({bona['not_usable']} not usable) | {bona['refused_by_liveness']} | "
            f"{bona['refused_as_replay']} | BPCER **{bona['bpcer']:.2%}** | |"
        )
        for kind, values in shipped["attacks"].items():
            auc = report["separation_auc"].get(kind, {})
            lines.append(
                f"| attack `{kind}` (AUC antispoof {auc.get('antispoof', 0):.2f}, "
                f"liveness {auc.get('liveness', 0):.2f}) | {values['presentations']} | "
                f"{values['refused_by_pipeline']} | {values['refused_by_liveness']} | "
                f"{values['refused_as_replay']} | APCER **{values['apcer']:.2%}** | "
                f"{values['iapar']:.2%} |"
            )
        lines += ["", "BPCER of each bona fide capture kind at the shipped thresholds:", ""]
        lines.append(
            ", ".join(
                f"`{variant}` {values['bpcer']:.1%}"
                for variant, values in bona["by_variant"].items()
            )
            + "."
        )
        lines += ["", "![Passive liveness scores](face-pad.png)", "", PAD_END]
        return "\n".join(lines) + "\n"

    @staticmethod
    def _replace_section(path: Path, section: str) -> None:
        text = path.read_text() if path.exists() else ""
        if PAD_BEGIN in text and PAD_END in text:
            before, rest = text.split(PAD_BEGIN, 1)
            after = rest.split(PAD_END, 1)[1].removeprefix("\n")
            text = before + section + after
        else:
            text = (
                text.rstrip("\n") + "\n\n## Presentation-attack detection (generated)\n\n" + section
            )
        path.write_text(text)

    @staticmethod
    def _failures(captures: list[dict]) -> dict:
        failed = [c for c in captures if "error" in c]
        by_code: dict[str, int] = {}
        by_variant: dict[str, dict[str, int]] = {}
        for capture in captures:
            counts = by_variant.setdefault(capture["variant"], {"captures": 0, "failures": 0})
            counts["captures"] += 1
            if "error" in capture:
                counts["failures"] += 1
                by_code[capture["error"]] = by_code.get(capture["error"], 0) + 1
        return {
            "captures": len(captures),
            "failures": len(failed),
            "rate": round(len(failed) / len(captures), 5),
            "rate_without_multiple_faces": round(
                sum(c["error"] != "multiple_faces" for c in failed) / len(captures), 5
            ),
            "by_code": by_code,
            "by_variant": by_variant,
            "failed": {f"{c['photo']} {c['variant']}": c["error"] for c in failed},
        }

    @staticmethod
    def _accuracy(evaluation: Evaluation, pairs: LabelledPairs, threshold: float) -> dict:
        genuine, impostor = evaluation.genuine, evaluation.impostor

        def point(at: float) -> dict:
            fmr, fnmr = evaluation.at_threshold(at)
            false_matches = int((impostor >= at).sum())
            misses = int((genuine < at).sum())
            return {
                "threshold": round(at, 5),
                "fmr": round(fmr, 7),
                "false_matches": false_matches,
                "fmr_ci_by_identity": _rounded(
                    fmr_interval_by_identity(impostor, pairs.impostor_people, at)
                ),
                "fmr_ci_wilson": _rounded(wilson_interval(false_matches, len(impostor))),
                "false_match_people": sorted(
                    {"/".join(p) for p in pairs.impostor_people[impostor >= at].tolist()}
                ),
                "fnmr": round(fnmr, 5),
                "misses": misses,
                "fnmr_ci_by_identity": _rounded(
                    fnmr_interval_by_identity(genuine, pairs.genuine_people, at)
                ),
                "fnmr_ci_wilson": _rounded(wilson_interval(misses, len(genuine))),
            }

        eer, eer_threshold = evaluation.eer()
        return {
            "pairs": {"genuine": len(genuine), "impostor": len(impostor)},
            "genuine_people": len(np.unique(pairs.genuine_people)),
            "auc": round(evaluation.auc(), 6),
            "eer": round(eer, 5),
            "eer_threshold": round(eer_threshold, 5),
            "at_fmr": {
                label: point(evaluation.at_fmr(target)[1]) for label, target in FMR_TARGETS.items()
            },
            "at_operating_threshold": point(threshold),
        }

    @staticmethod
    def _per_variant(usable: list[dict], embeddings: np.ndarray, threshold: float) -> dict:
        """Each variant as a probe against the photos as taken (the enrolment captures)."""
        originals = [i for i, c in enumerate(usable) if c["variant"] == ORIGINAL]
        per_variant = {}
        for variant in dict.fromkeys(c["variant"] for c in usable):
            probes = [i for i, c in enumerate(usable) if c["variant"] == variant]
            scores = embeddings[probes] @ embeddings[originals].T
            probe_people = np.array([usable[i]["identity"] for i in probes])
            probe_photos = np.array([usable[i]["photo"] for i in probes])
            same = probe_people[:, None] == np.array([usable[i]["identity"] for i in originals])
            other_photo = probe_photos[:, None] != np.array([usable[i]["photo"] for i in originals])
            own_photo = scores[same & ~other_photo]  # the variant against its own photo
            if variant == ORIGINAL:  # the photos against each other: each pair once
                other_photo &= np.triu(np.ones_like(other_photo), k=1)
                same_or_later = np.triu(np.ones_like(same), k=1) | same
                genuine, impostor = scores[same & other_photo], scores[~same_or_later]
            else:
                genuine, impostor = scores[same & other_photo], scores[~same]
            misses = int((genuine < threshold).sum())
            per_variant[variant] = {
                "genuine": len(genuine),
                "fnmr": round(misses / max(len(genuine), 1), 5),
                "fnmr_ci_wilson": _rounded(wilson_interval(misses, len(genuine))),
                "genuine_min": round(float(genuine.min()), 4) if len(genuine) else None,
                "genuine_max": round(float(genuine.max()), 4) if len(genuine) else None,
                "own_photo_min": round(float(own_photo.min()), 4) if len(own_photo) else None,
                "impostor": len(impostor),
                "fmr": round(float((impostor >= threshold).mean()), 6) if len(impostor) else None,
                "impostor_max": round(float(impostor.max()), 4) if len(impostor) else None,
            }
        return per_variant

    def _print(self, report: dict) -> None:
        out = self.stdout.write
        fte = report["failures_to_enroll"]
        out(
            f"photos {report['photos']} of {report['identities']} people, captures "
            f"{fte['captures']} ({len(report['variants'])} per photo)"
        )
        out(
            f"failures to enroll {fte['failures']} ({fte['rate']:.2%}; "
            f"{fte['rate_without_multiple_faces']:.2%} without multiple_faces) {fte['by_code']}"
        )
        out(f"pairs: genuine {report['pairs']['genuine']}, impostor {report['pairs']['impostor']}")
        out(
            f"ROC AUC {report['auc']:.5f}   EER {report['eer']:.2%} "
            f"(threshold {report['eer_threshold']:.4f})"
        )
        for label, values in report["at_fmr"].items():
            out(f"at FMR <= {label.removeprefix('fmr_')}: {self._point(values)}")
        out(f"at the operating threshold: {self._point(report['at_operating_threshold'])}")
        for variant, values in report["per_variant"].items():
            if not values["genuine"] or not values["impostor"]:
                out(f"  {variant:<15} vs photos as taken: no pairs")
                continue
            low, high = values["fnmr_ci_wilson"]
            out(
                f"  {variant:<15} vs photos as taken: FNMR {values['fnmr']:6.2%} "
                f"[{low:.2%}, {high:.2%}] of {values['genuine']}, FMR {values['fmr']:.3%}; "
                f"similarity to its own photo >= {values['own_photo_min']:.4f}, "
                f"to another photo <= {values['genuine_max']:.4f}"
            )
        out(f"plots: {', '.join(report['plots'])}   ({report['seconds']} s)")

    @staticmethod
    def _point(values: dict) -> str:
        fmr_low, fmr_high = values["fmr_ci_by_identity"]
        low, high = values["fnmr_ci_by_identity"]
        return (
            f"threshold {values['threshold']:.4f}, FMR {values['fmr']:.4%} "
            f"({values['false_matches']} pairs of {len(values['false_match_people'])} couples of "
            f"people; 95 % by person {fmr_low:.4%}-{fmr_high:.4%}), FNMR {values['fnmr']:.2%} "
            f"(95 % by person {low:.2%}-{high:.2%})"
        )
