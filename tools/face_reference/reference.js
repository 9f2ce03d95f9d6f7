/*
 * Reference outputs of the real TF.js models that recognize_sdk.face converts to ONNX.
 *
 * Runs, on TF.js's pure-JavaScript CPU backend (no native binary), @vladmandic/face-api's
 * FaceRecognitionNet over deterministic synthetic 150x150 RGB images, and @vladmandic/human's
 * antispoof (128x128) and liveness (32x32) graph models over the same formulas at their input
 * sizes (pixels / 255, as human feeds them). Writes tests/sdk/face/fixtures/tfjs_reference.json.
 * The Python tests rebuild the images with the same integer formulas (tests/sdk/face/conftest.py)
 * and compare the ONNX conversions against these values.
 *
 * Usage (from this folder): npm install && node reference.js
 */
'use strict';

const fs = require('fs');
const path = require('path');
const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js');

const tf = faceapi.tf;
const SIZE = 150;
const HUMAN_MODELS = { antispoof: 128, liveness: 32 };
const MODEL_DIR = path.join(__dirname, 'node_modules', '@vladmandic', 'face-api', 'model');
const HUMAN_DIR = path.join(__dirname, 'node_modules', '@vladmandic', 'human', 'models');
const OUT = path.join(__dirname, '..', '..', 'tests', 'sdk', 'face', 'fixtures', 'tfjs_reference.json');

function makeImage(fn, size) {
  const data = new Int32Array(size * size * 3);
  for (let y = 0; y < size; y += 1) {
    for (let x = 0; x < size; x += 1) {
      const rgb = fn(x, y);
      for (let c = 0; c < 3; c += 1) data[(y * size + x) * 3 + c] = rgb[c];
    }
  }
  return data;
}

/* Integer-only formulas, mirrored exactly in Python. */
const IMAGES = {
  pattern: (size) => makeImage((x, y) => [0, 1, 2].map((c) => (x * 3 + y * 5 + c * 70 + ((x * y) >> 4)) & 255), size),
  noise: (size) => {
    let state = 12345;
    return makeImage(() => [0, 1, 2].map(() => {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      return state >>> 24;
    }), size);
  },
  face: (size) => makeImage((x, y) => {
    const inEllipse = (cx, cy, rx, ry) => (x - cx) * (x - cx) * ry * ry + (y - cy) * (y - cy) * rx * rx <= rx * rx * ry * ry;
    if (inEllipse(57, 68, 8, 5) || inEllipse(93, 68, 8, 5)) return [40, 30, 30];
    if (x >= 60 && x < 90 && y >= 110 && y < 116) return [150, 60, 60];
    if (x >= 73 && x < 77 && y >= 70 && y < 100) return [170, 120, 100];
    if (inEllipse(75, 80, 45, 60)) return [200, 160, 130];
    return [40 + ((x + y) >> 1), 60 + (y >> 1), 90 + (x >> 2)];
  }, size),
};

async function loadHumanModel(name) {
  const json = JSON.parse(fs.readFileSync(path.join(HUMAN_DIR, `${name}.json`), 'utf8'));
  const bin = fs.readFileSync(path.join(HUMAN_DIR, `${name}.bin`));
  return tf.loadGraphModel(tf.io.fromMemory({
    modelTopology: json.modelTopology,
    weightSpecs: json.weightsManifest[0].weights,
    weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength),
    format: json.format,
    signature: json.signature,
  }));
}

async function main() {
  await tf.setBackend('cpu');
  await tf.ready();
  await faceapi.nets.faceRecognitionNet.loadFromDisk(MODEL_DIR);
  const descriptors = {};
  for (const [name, build] of Object.entries(IMAGES)) {
    const input = tf.tensor3d(build(SIZE), [SIZE, SIZE, 3], 'int32');
    const descriptor = await faceapi.nets.faceRecognitionNet.computeFaceDescriptor(input);
    input.dispose();
    descriptors[name] = Array.from(descriptor, (v) => Number(v.toPrecision(9)));
  }
  const liveness = {};
  for (const [modelName, size] of Object.entries(HUMAN_MODELS)) {
    const model = await loadHumanModel(modelName);
    liveness[modelName] = {};
    for (const [name, build] of Object.entries(IMAGES)) {
      const pixels = Float32Array.from(build(size), (v) => v / 255);
      const input = tf.tensor4d(pixels, [1, size, size, 3]);
      const output = model.execute(input);
      liveness[modelName][name] = Array.from(await output.data(), (v) => Number(v.toPrecision(9)));
      tf.dispose([input, output]);
    }
  }
  const result = {
    generator: 'tools/face_reference/reference.js',
    model: '@vladmandic/face-api@1.7.15 face_recognition_model',
    tfjs: tf.version.tfjs,
    backend: tf.getBackend(),
    input: 'uint8 RGB 150x150 HWC, raw descriptor (not normalised)',
    descriptors,
    human: '@vladmandic/human@3.3.6 models/{antispoof,liveness}',
    liveness_input: 'RGB / 255, NHWC, 128x128 (antispoof) and 32x32 (liveness)',
    liveness,
  };
  fs.writeFileSync(OUT, `${JSON.stringify(result)}\n`);
  console.log(`wrote ${OUT} (${Object.keys(descriptors).join(', ')}) with backend ${tf.getBackend()}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
