"""PAD evaluation: simulated attacks, the error rates in ISO/IEC 30107-3 terms, and the
``evaluate_faces --pad`` report."""

import json
from io import StringIO

import numpy as np
import pytest
from django.core.management import call_command
from PIL import Image

from biometrics.pad_evaluation import BONA_FIDE, Capture, calibrate, error_rates, presentations
from biometrics.presentation_attacks import ATTACKS, presentation_attack
from recognize_sdk.face import analyze_face
from recognize_sdk.face.decode import decode_image
from recognize_sdk.face.detect import find_single_face
from tests.support import FACES_DIR

PHOTO = FACES_DIR / "dev" / "id01" / "img1.jpg"
LIVE = {"antispoof": 0.9, "liveness": 0.9}
SPOOF = {"antispoof": 0.1, "liveness": 0.9}


def _unit(*values: float) -> np.ndarray:
    vector = np.array(values, dtype=np.float32)
    return vector / np.linalg.norm(vector)


@pytest.fixture(scope="module")
def photo():
    data = PHOTO.read_bytes()
    image = decode_image(data)
    return data, image, find_single_face(image)


@pytest.mark.parametrize("attack", list(ATTACKS))
def test_each_attack_is_reproducible_and_shows_the_person(photo, attack):
    data, image, face = photo
    made = [
        presentation_attack(attack, image, face.box, face.landmarks, key=key, original=data)
        for key in ("id01/img1.jpg", "id01/img1.jpg", "id01/other.jpg")
    ]

    assert made[0] == made[1]
    if attack != "replay_exact":
        assert made[0] != made[2]  # parameters drawn per photo
    enrolled = analyze_face(data).embedding
    assert float(np.dot(enrolled, analyze_face(made[0]).embedding)) > 0.9


def test_replay_exact_is_the_enrollment_file(photo):
    data, image, face = photo
    made = presentation_attack(
        "replay_exact", image, face.box, face.landmarks, key="k", original=data
    )
    assert made == data


def test_error_rates_follow_the_decision_path():
    same, other_photo, stranger = _unit(1, 0, 0), _unit(1, 0.2, 0), _unit(0, 1, 0)
    captures = [
        Capture("p/1", "p", BONA_FIDE, "original", same, LIVE),
        Capture("p/2", "p", BONA_FIDE, "original", other_photo, LIVE),
        Capture("p/2", "p", BONA_FIDE, "blur", other_photo, SPOOF),  # refused by liveness
        Capture("p/2", "p", BONA_FIDE, "tight_crop", error="no_face"),
        Capture("p/1", "p", "replay_exact", "replay_exact", same, LIVE),  # caught as replay
        Capture("p/2", "p", "print", "print", other_photo, LIVE),  # gets through
        Capture("p/2", "p", "screen", "screen", other_photo, SPOOF),  # caught by liveness
        Capture("p/2", "p", "cutout", "cutout", stranger, LIVE),  # PAD misses, match refuses
        Capture("q/1", "q", BONA_FIDE, "original", stranger, LIVE),
    ]

    shown = presentations(captures, match_threshold=0.9)
    rates = error_rates(shown)

    bona = rates["bona_fide"]
    # p/1 shown p/2 as taken and blurred (the crop was unusable); p/2 shown p/1.
    assert (bona["presentations"], bona["not_usable"]) == (3, 1)
    assert bona["refused_by_liveness"] == 1
    assert bona["bpcer"] == pytest.approx(1 / 3, abs=1e-4)
    attacks = rates["attacks"]
    assert attacks["replay_exact"]["presentations"] == 1  # only against its own enrollment
    assert (attacks["replay_exact"]["apcer"], attacks["replay_exact"]["refused_as_replay"]) == (
        0.0,
        1,
    )
    assert attacks["print"]["presentations"] == 1  # never against the photo it was made of
    assert (attacks["print"]["apcer"], attacks["print"]["iapar"]) == (1.0, 1.0)
    assert (attacks["screen"]["apcer"], attacks["screen"]["refused_by_liveness"]) == (0.0, 1)
    assert (attacks["cutout"]["apcer"], attacks["cutout"]["iapar"]) == (1.0, 0.0)


def test_calibration_keeps_bpcer_within_target():
    rng = np.random.default_rng(7)
    captures = [
        Capture(f"p/{i}", "p", BONA_FIDE, "original", None, {"antispoof": a, "liveness": b})
        for i, (a, b) in enumerate(rng.uniform(0, 1, (1000, 2)))
    ]

    antispoof, liveness = calibrate(captures, bpcer_target=0.03)

    refused = np.mean(
        [c.scores["antispoof"] < antispoof or c.scores["liveness"] < liveness for c in captures]
    )
    assert 0.02 <= refused <= 0.03
    assert 0 < antispoof < 0.03 and 0 < liveness < 0.03


def test_command_reports_apcer_per_attack_and_rewrites_its_section(db, tmp_path):
    photos = tmp_path / "photos"
    for identity, names in {"id01": ["img1.jpg", "img2.jpg"], "id02": ["img26.jpg"]}.items():
        (photos / identity).mkdir(parents=True)
        for name in names:
            (photos / identity / name).symlink_to(FACES_DIR / "dev" / identity / name)
    document = tmp_path / "face-evaluation.md"
    document.write_text(
        "# Faces\n\nbefore\n\n<!-- evaluate_faces --pad: begin -->\nold numbers\n"
        "<!-- evaluate_faces --pad: end -->\n\nafter\n"
    )
    report_path = tmp_path / "pad.json"

    call_command(
        "evaluate_faces",
        str(photos),
        "--pad",
        "--variants",
        "grayscale",
        "--json",
        str(report_path),
        "--plots-dir",
        str(tmp_path),
        "--markdown",
        str(document),
        stdout=StringIO(),
        stderr=StringIO(),
    )

    report = json.loads(report_path.read_text())
    shipped = report["shipped"]
    assert set(shipped["attacks"]) == set(ATTACKS)
    # id01 enrolled with either photo: the other photo and its grayscale copy are bona fide
    assert shipped["bona_fide"]["presentations"] + shipped["bona_fide"]["not_usable"] == 4
    assert shipped["attacks"]["replay_exact"]["apcer"] == 0.0
    assert shipped["attacks"]["print"]["presentations"] == 2
    text = document.read_text()
    assert text.startswith("# Faces\n\nbefore\n\n<!-- evaluate_faces --pad: begin -->")
    assert "old numbers" not in text and text.endswith(
        "<!-- evaluate_faces --pad: end -->\n\nafter\n"
    )
    assert "APCER" in text and "`print`" in text
    with Image.open(tmp_path / "face-pad.png") as plot:
        assert plot.format == "PNG"
