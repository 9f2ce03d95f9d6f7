"""Accuracy figures of evaluate_faces: the maths on known scores, and the command's report."""

import json
from io import StringIO

import numpy as np
import pytest
from django.core.management import call_command

from biometrics.evaluation import Evaluation, pair_scores
from tests.support import FACES_DIR


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


def test_pairs_split_by_identity():
    unit = np.eye(3)
    genuine, impostor = pair_scores(np.stack([unit[0], unit[0], unit[1]]), ["a", "a", "b"])
    assert genuine.tolist() == [1.0]
    assert sorted(impostor.tolist()) == [0.0, 0.0]


def test_command_writes_report_and_plot(db, tmp_path):
    photos = tmp_path / "photos"
    for identity, names in {
        "id01": ["img1.jpg", "img2.jpg"],
        "id02": ["img26.jpg", "img27.jpg"],
        "id03": ["img8.jpg", "img9.jpg"],
    }.items():
        (photos / identity).mkdir(parents=True)
        for name in names:
            (photos / identity / name).symlink_to(FACES_DIR / "dev" / identity / name)
    report_path, plot = tmp_path / "report.json", tmp_path / "roc.png"
    out = StringIO()
    call_command(
        "evaluate_faces",
        str(photos),
        "--json",
        str(report_path),
        "--plot",
        str(plot),
        stdout=out,
        stderr=StringIO(),
    )
    report = json.loads(report_path.read_text())
    assert report["pairs"] == {"genuine": 3, "impostor": 12}
    assert report["failures_to_enroll"] == 0
    assert {"auc", "eer", "at_default_threshold"} <= set(report)
    assert set(report["at_default_threshold"]) == {"threshold", "fmr", "fnmr"}
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "ROC AUC" in out.getvalue()
