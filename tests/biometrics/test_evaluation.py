"""Accuracy figures of evaluate_faces: the maths on known scores, and the command's report."""

import json
from io import StringIO

import numpy as np
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from PIL import Image

from biometrics import conf
from biometrics.evaluation import (
    Evaluation,
    fmr_interval_by_identity,
    fnmr_interval_by_identity,
    labelled_pair_scores,
    pair_scores,
    wilson_interval,
)
from tests.support import FACES_DIR

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_rates_on_known_scores():
    evaluation = Evaluation(
        genuine=np.array([0.9, 0.8, 0.7, 0.4]), impostor=np.array([0.1, 0.2, 0.3, 0.5, 0.75])
    )
    assert evaluation.at_threshold(0.6) == (0.2, 0.25)
    assert evaluation.auc() == pytest.approx(17 / 20)
    fnmr, threshold = evaluation.at_fmr(0.0)
    assert (fnmr, threshold) == (0.5, 0.8)  # the lowest threshold above every impostor
    eer, _ = evaluation.eer()
    assert 0.2 <= eer <= 0.25


def test_auc_counts_ties_as_half():
    evaluation = Evaluation(genuine=np.array([0.5, 0.9]), impostor=np.array([0.5, 0.1]))

    assert evaluation.auc() == pytest.approx((1.5 + 2) / 4)


def test_pairs_split_by_identity():
    unit = np.eye(3)
    genuine, impostor = pair_scores(np.stack([unit[0], unit[0], unit[1]]), ["a", "a", "b"])
    assert genuine.tolist() == [1.0]
    assert sorted(impostor.tolist()) == [0.0, 0.0]


def test_two_captures_of_one_photo_are_not_a_genuine_pair():
    unit = np.eye(3)
    embeddings = np.stack([unit[0], unit[0], unit[0], unit[1]])

    pairs = labelled_pair_scores(embeddings, ["a", "a", "a", "b"], ["a/1", "a/1", "a/2", "b/1"])

    assert len(pairs.genuine) == 2  # a/1 and its degraded copy, each against a/2
    assert pairs.genuine_people.tolist() == [["a", "a"], ["a", "a"]]
    assert len(pairs.impostor) == 3
    assert {tuple(row) for row in pairs.impostor_people.tolist()} == {("a", "b")}


@pytest.mark.parametrize(
    ("errors", "trials", "low", "high"),
    [(0, 100, 0.0, 0.037), (10, 100, 0.0552, 0.1744), (100, 100, 0.963, 1.0)],
)
def test_wilson_interval(errors, trials, low, high):
    assert wilson_interval(errors, trials) == pytest.approx((low, high), abs=5e-4)


def test_fnmr_interval_resamples_people():
    # person "c" misses every time, "a" and "b" never: the rate hinges on drawing "c"
    genuine = np.array([0.95] * 10 + [0.95] * 10 + [0.5] * 10)
    people = np.array(["a"] * 10 + ["b"] * 10 + ["c"] * 10)

    low, high = fnmr_interval_by_identity(genuine, people, 0.9)

    assert low == 0.0
    assert high > 0.6
    assert fnmr_interval_by_identity(genuine[:20], people[:20], 0.9) == (0.0, 0.0)


def test_fmr_interval_resamples_people():
    # only the couple (a, b) looks alike; sets without both of them have no false match
    people = np.array([["a", "b"]] * 4 + [["a", "c"]] * 4 + [["b", "c"]] * 4)
    impostor = np.array([0.95] * 4 + [0.2] * 8)

    low, high = fmr_interval_by_identity(impostor, people, 0.9)

    assert low == 0.0
    assert high >= 1 / 3


def _photo_set(tmp_path):
    photos = tmp_path / "photos"
    for identity, names in {
        "id01": ["img1.jpg", "img2.jpg"],
        "id02": ["img26.jpg", "img27.jpg"],
        "id03": ["img8.jpg", "img9.jpg"],
    }.items():
        (photos / identity).mkdir(parents=True)
        for name in names:
            (photos / identity / name).symlink_to(FACES_DIR / "dev" / identity / name)
    return photos


def test_command_writes_report_and_plots(db, tmp_path):
    report_path, plots = tmp_path / "report.json", tmp_path / "plots"
    out = StringIO()

    call_command(
        "evaluate_faces",
        str(_photo_set(tmp_path)),
        "--variants",
        "still_150_gray,tight_crop",
        "--json",
        str(report_path),
        "--plots-dir",
        str(plots),
        stdout=out,
        stderr=StringIO(),
    )

    report = json.loads(report_path.read_text())
    assert report["variants"] == ["original", "still_150_gray", "tight_crop"]
    # 18 captures of 6 photos; genuine pairs only across the two photos of each person
    assert report["failures_to_enroll"]["captures"] == 18
    assert report["failures_to_enroll"]["failures"] == 0
    assert report["pairs"] == {"genuine": 3 * 3 * 3, "impostor": 3 * 6 * 6}
    operating = report["at_operating_threshold"]
    assert operating["threshold"] == pytest.approx(conf.BIOMETRICS_MATCH_THRESHOLD)
    assert {"fmr", "fnmr", "fnmr_ci_by_identity", "fnmr_ci_wilson"} <= set(operating)
    assert set(report["at_fmr"]) == {"fmr_1e-3", "fmr_1e-4"}
    assert set(report["per_variant"]) == {"original", "still_150_gray", "tight_crop"}
    assert report["per_variant"]["tight_crop"]["genuine"] == 3 * 2
    assert report["per_variant"]["original"]["genuine"] == 3  # each pair of photos once
    for name in ("face-det.png", "face-scores.png"):
        with Image.open(plots / name) as plot:
            assert plot.format == "PNG" and plot.width >= 600
    assert (plots / "face-det.png").read_bytes()[:8] == PNG_SIGNATURE
    assert "at the operating threshold" in out.getvalue()


def test_unknown_variant_is_refused(db, tmp_path):
    with pytest.raises(CommandError, match="unknown variants: sepia"):
        call_command("evaluate_faces", str(tmp_path), "--variants", "sepia")
