"""The browser's face embedding (``clients/web/src/face.js``, onnxruntime-web) and protected
template (``protect.js``) against the Python pipeline's, on the same aligned chips of every dev
photo and the same seed: cosine ≥ 0.995 each.

The chips are cut by the Python pipeline (decode, MTCNN, 5-point alignment) and handed to the
page; the page downloads only the runtime and the model (content-hashed URLs, checked by
SHA-256) and sends nothing: Chromium's network log holds no request with a body. A second test
has the page cut the chips itself (``align.js``) from the decoded pixels and MTCNN's landmarks.
A third binds the page, enrolls a face computed there and authenticates with it through the
Client API, sending only protected vectors. MTCNN in the browser is not ported yet (issue 16).
"""

import base64
import json

import numpy as np
import pytest

from recognize_sdk.face.align import align_face
from recognize_sdk.face.decode import decode_image
from recognize_sdk.face.detect import locate_single_face
from recognize_sdk.face.embed import embed
from recognize_sdk.face.errors import FaceError
from recognize_sdk.face.pipeline import DECODE_MIN_LONG_SIDE
from recognize_sdk.face.protect import cosine, protect
from tests.support import FACES_DIR

pytestmark = pytest.mark.integration

PARITY = 0.995
#: The document the face module runs in. The portal's pages send a Content-Security-Policy
#: whose ``script-src 'self'`` forbids compiling WebAssembly; a page that runs the model must
#: add ``'wasm-unsafe-eval'`` (none exists yet: issue 16). The assets list is same-origin and,
#: being JSON, carries no page policy.
HOST = "/web-client/assets.json"


def _chips() -> dict[str, np.ndarray]:
    """The aligned chip of each dev photo the Python pipeline finds one face in."""
    chips = {}
    for photo in sorted((FACES_DIR / "dev").glob("*/*")):
        try:
            image = decode_image(photo.read_bytes(), min_long_side=DECODE_MIN_LONG_SIDE)
            image, face = locate_single_face(image)
        except FaceError:
            continue
        chips[str(photo.relative_to(FACES_DIR))] = align_face(image, face.landmarks)
    return chips


SEED = bytes(range(100, 132))
EMBED_ALL = """async ({chips, seed}) => {
  const web = await import('/static/recognize-web/index.js');
  const runtime = await web.faceRuntimeLoad();
  const embedder = await web.FaceEmbedder.create(runtime);
  const embeddings = {};
  const templates = {};
  for (const [name, encoded] of Object.entries(chips)) {
    const embedding = await embedder.embed(web.base64Decode(encoded));
    embeddings[name] = Array.from(embedding);
    templates[name] = Array.from(await web.protect(embedding, web.base64Decode(seed)));
  }
  return {embeddings, templates};
}"""


def test_browser_embeddings_match_the_python_pipeline(live, browser):
    if not (FACES_DIR / "dev").is_dir():
        pytest.skip(f"no dev photos in {FACES_DIR}")
    chips = _chips()
    assert len(chips) >= 50, "the Python pipeline should find a face in the dev photos"

    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{live.base_url}{HOST}")
    requests = []
    page.on("request", lambda request: requests.append(request))
    encoded = {name: base64.b64encode(chip.tobytes()).decode() for name, chip in chips.items()}
    seed = base64.b64encode(SEED).decode()
    in_browser = page.evaluate(EMBED_ALL, {"chips": encoded, "seed": seed})

    embeddings, templates = {}, {}
    for name, chip in chips.items():
        reference = embed(chip)
        embeddings[name] = cosine(in_browser["embeddings"][name], reference)
        templates[name] = cosine(in_browser["templates"][name], protect(reference, SEED))
    for similarities in (embeddings, templates):
        worst = min(similarities, key=similarities.get)
        assert similarities[worst] >= PARITY, (worst, similarities[worst])

    assert requests, "the page downloaded the runtime and the model"
    assert all(request.method == "GET" and request.post_data is None for request in requests)
    paths = {request.url.split("?")[0].removeprefix(live.base_url) for request in requests}
    assert all(path.startswith(("/static/", "/web-client/")) for path in paths), paths
    context.close()


ALIGN_AND_EMBED = """async ({pixels, width, height, landmarks}) => {
  const web = await import('/static/recognize-web/index.js');
  window.embedder ??= await web.FaceEmbedder.create(await web.faceRuntimeLoad());
  const chip = web.alignFace({width, height, data: web.base64Decode(pixels)}, landmarks);
  return {chip: web.base64Encode(chip), embedding: Array.from(await window.embedder.embed(chip))};
}"""


def test_browser_alignment_cuts_the_python_chip(live, browser):
    """On the decoded pixels and MTCNN landmarks of every ninth dev photo (the pixels travel
    to the page through Playwright, not the network): the same chip, and so the same
    embedding."""
    photos = sorted((FACES_DIR / "dev").glob("*/*"))[::9]
    if not photos:
        pytest.skip(f"no dev photos in {FACES_DIR}")
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{live.base_url}{HOST}")
    requests = []
    page.on("request", lambda request: requests.append(request))
    for photo in photos:
        image = decode_image(photo.read_bytes(), min_long_side=DECODE_MIN_LONG_SIDE)
        image, face = locate_single_face(image)
        reference = align_face(image, face.landmarks)
        pixels = np.asarray(image.convert("RGB"), dtype=np.uint8)
        result = page.evaluate(
            ALIGN_AND_EMBED,
            {
                "pixels": base64.b64encode(pixels.tobytes()).decode(),
                "width": image.width,
                "height": image.height,
                "landmarks": face.landmarks.tolist(),
            },
        )
        chip = np.frombuffer(base64.b64decode(result["chip"]), dtype=np.uint8)
        difference = np.abs(chip.astype(int) - reference.reshape(-1).astype(int))
        assert difference.max() <= 1, (photo.name, int(difference.max()))
        assert cosine(result["embedding"], embed(reference)) >= PARITY, photo.name
    assert all(request.method == "GET" and request.post_data is None for request in requests)
    context.close()


FACE_FLOW = """async ({chip, call, token, tenantId}) => {
  const web = await import('/static/recognize-web/index.js');
  window.embedder ??= await web.FaceEmbedder.create(await web.faceRuntimeLoad());
  const device = new web.WebDevice({baseUrl: location.origin, tenantId});
  if (call === 'bind') return await device.bind({token, name: 'Chromium'});
  if (call === 'faceDeenroll') {
    const removed = await device.faceDeenroll({token});
    return {removed, binding: (await device.status()).binding};
  }
  const embedding = await window.embedder.embed(web.base64Decode(chip));
  try {
    return await device[call]({token, embedding});
  } catch (error) {
    return {error: error.code ?? error.name};
  }
}"""


def _chip(relative: str) -> str:
    image = decode_image((FACES_DIR / relative).read_bytes(), min_long_side=DECODE_MIN_LONG_SIDE)
    image, face = locate_single_face(image)
    return base64.b64encode(align_face(image, face.landmarks).tobytes()).decode()


def test_a_browser_enrolls_and_authenticates_a_face_on_the_device(live, browser):
    """Bind, enroll person A, authenticate as A (the backend validates it once) and as B
    (refused): the page sends only protected vectors, signed by its key."""
    if not (FACES_DIR / "dev").is_dir():
        pytest.skip(f"no dev photos in {FACES_DIR}")
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{live.base_url}{HOST}")
    bodies = []
    page.on("request", lambda request: bodies.append(request.post_data or ""))

    def run(call: str, token: str, chip: str = "") -> dict:
        args = {"chip": chip, "call": call, "token": token, "tenantId": live.tenant_id}
        return page.evaluate(FACE_FLOW, args)

    def token(action: str, **attributes) -> str:
        return live.server.track("dana", action, attributes)["token"]

    assert run("bind", token("enroll", scope="add:authenticators"))["userId"] == "dana"
    enrolled = run(
        "faceEnroll", token("enroll", scope="add:authenticators"), _chip("dev/id01/img1.jpg")
    )
    assert enrolled["status"] == "SUCCEEDED" and enrolled["verificationMethod"] == "FACE"

    passed = run("faceAuthenticate", token("pay"), _chip("dev/id01/img2.jpg"))
    assert passed["state"] == "CHALLENGE_SUCCEEDED"
    assert live.server.validate_challenge({"token": passed["token"]})["is_valid"] is True
    assert live.server.validate_challenge({"token": passed["token"]})["is_valid"] is False

    refused = run("faceAuthenticate", token("pay"), _chip("dev/id02/img26.jpg"))
    assert refused == {"error": "face_mismatch"}

    deenrolled = run("faceDeenroll", passed["token"])
    assert "faceSeed" not in deenrolled["binding"]
    assert run("faceAuthenticate", token("pay"), _chip("dev/id01/img2.jpg")) == {
        "error": "face_seed_missing"
    }

    # No image byte left the page: every body is a small JSON object without an image, and a
    # protected vector is 128 float32 (684 base64 characters).
    sent = [json.loads(body) for body in bodies if body]
    assert sent and all(len(body) < 2048 for body in bodies)
    assert not any("image" in body for body in sent)
    vectors = [b.get("protectedTemplate") or b.get("protectedProbe") for b in sent]
    assert sorted(len(v) for v in vectors if v) == [684, 684, 684]
    context.close()
