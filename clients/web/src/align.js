// @ts-check
/**
 * @module recognize-web/align
 *
 * Five-point face alignment to the 150×150 chip the recognition model expects, as
 * `recognize_sdk/face/align.py` cuts it: a least-squares similarity transform from dlib's
 * mean-face points (placed with 25 % padding) to the detected landmarks; when the face is much
 * larger than the chip, the region is first box-averaged by an integer factor; then bilinear
 * resampling as Pillow's affine transform does it (pixel centres at +0.5, edge pixels
 * clamped, truncation to bytes, black outside the image).
 *
 * Images are `{width, height, data}` with `data` RGB bytes, row-major (3 per pixel).
 */

import { CHIP_SIZE } from "./face.js";

export const CHIP_PADDING = 0.25;

/** dlib's mean-face points, normalised, in MTCNN's landmark order (see align.py). */
const MEAN_FACE = [
  [
    (0.121737 + 0.187122 + 0.265825 + 0.334606 + 0.260918 + 0.182743) / 6,
    (0.216423 + 0.178758 + 0.179852 + 0.231733 + 0.245099 + 0.244077) / 6,
  ],
  [
    (0.645647 + 0.714428 + 0.793132 + 0.858516 + 0.79751 + 0.719335) / 6,
    (0.231733 + 0.179852 + 0.178758 + 0.216423 + 0.244077 + 0.245099) / 6,
  ],
  [0.490127, 0.515625],
  [0.254149, 0.780233],
  [0.726104, 0.780233],
];

/**
 * @typedef {object} RgbImage
 * @property {number} width
 * @property {number} height
 * @property {Uint8Array | Uint8ClampedArray} data RGB, 3 bytes a pixel, row-major
 */

/**
 * The five landmark positions in a `size` chip, continuous coordinates.
 * @param {number} [size]
 * @param {number} [padding]
 * @returns {number[][]}
 */
export function chipTemplate(size = CHIP_SIZE, padding = CHIP_PADDING) {
  return MEAN_FACE.map(([x, y]) => [
    ((padding + x) / (2 * padding + 1)) * size + 0.5,
    ((padding + y) / (2 * padding + 1)) * size + 0.5,
  ]);
}

/**
 * Least-squares similarity (rotation, uniform scale, translation) mapping `src` to `dst`:
 * `[a, -b, tx, b, a, ty]` (the closed form of align.py's normal equations).
 * @param {number[][]} src
 * @param {number[][]} dst
 * @returns {number[]}
 */
export function similarityTransform(src, dst) {
  const n = src.length;
  const mean = (/** @type {number[][]} */ points, /** @type {number} */ axis) =>
    points.reduce((sum, point) => sum + point[axis], 0) / n;
  const [sx, sy, dx, dy] = [mean(src, 0), mean(src, 1), mean(dst, 0), mean(dst, 1)];
  let norm = 0;
  let cosTerm = 0;
  let sinTerm = 0;
  for (let i = 0; i < n; i += 1) {
    const [px, py] = [src[i][0] - sx, src[i][1] - sy];
    const [qx, qy] = [dst[i][0] - dx, dst[i][1] - dy];
    norm += px * px + py * py;
    cosTerm += px * qx + py * qy;
    sinTerm += px * qy - py * qx;
  }
  const a = cosTerm / norm;
  const b = sinTerm / norm;
  return [a, -b, dx - (a * sx - b * sy), b, a, dy - (b * sx + a * sy)];
}

/**
 * Pillow's fixed-point reciprocal of a box of `count` pixels (`division_UINT32` in Reduce.c:
 * 2**32 / (256 * count) in single precision, truncated): its averages round as Pillow's do.
 * @param {number} count
 */
function reduceMultiplier(count) {
  return Math.trunc(Math.fround(2 ** 32 / (256 * count)));
}

/**
 * `image` cropped to `[left, right) × [top, bottom)` (black outside it), then each
 * `factor`×`factor` block averaged (partial blocks at the edge average what they hold), as
 * Pillow's `crop(...).reduce(factor)` does, rounding included.
 * @param {RgbImage} image
 * @param {number} left
 * @param {number} top
 * @param {number} right
 * @param {number} bottom
 * @param {number} factor
 * @returns {RgbImage}
 */
function cropReduce(image, left, top, right, bottom, factor) {
  const cropWidth = right - left;
  const cropHeight = bottom - top;
  const width = Math.ceil(cropWidth / factor);
  const height = Math.ceil(cropHeight / factor);
  const data = new Uint8Array(width * height * 3);
  const sums = [0, 0, 0];
  for (let by = 0; by < height; by += 1) {
    for (let bx = 0; bx < width; bx += 1) {
      sums.fill(0);
      const rows = Math.min(factor, cropHeight - by * factor);
      const columns = Math.min(factor, cropWidth - bx * factor);
      for (let j = 0; j < rows; j += 1) {
        const y = top + by * factor + j;
        if (y < 0 || y >= image.height) continue;
        for (let i = 0; i < columns; i += 1) {
          const x = left + bx * factor + i;
          if (x < 0 || x >= image.width) continue;
          const at = (y * image.width + x) * 3;
          sums[0] += image.data[at];
          sums[1] += image.data[at + 1];
          sums[2] += image.data[at + 2];
        }
      }
      const count = rows * columns;
      const multiplier = reduceMultiplier(count);
      const amend = Math.floor(count / 2);
      const out = (by * width + bx) * 3;
      for (let c = 0; c < 3; c += 1) {
        data[out + c] = Math.floor(((sums[c] + amend) * multiplier) / 2 ** 24);
      }
    }
  }
  return { width, height, data };
}

/**
 * Bilinear affine resampling of `image` into a `size`×`size` chip: output pixel (x, y) takes
 * the input at `matrix · (x + 0.5, y + 0.5, 1)`.
 * @param {RgbImage} image
 * @param {number[]} matrix
 * @param {number} size
 * @returns {Uint8Array}
 */
function affineBilinear(image, matrix, size) {
  const [a0, a1, a2, a3, a4, a5] = matrix;
  const { width, height, data } = image;
  const chip = new Uint8Array(size * size * 3);
  const clipX = (/** @type {number} */ x) => (x < 0 ? 0 : x < width ? x : width - 1);
  const clipY = (/** @type {number} */ y) => (y < 0 ? 0 : y < height ? y : height - 1);
  for (let y = 0; y < size; y += 1) {
    for (let x = 0; x < size; x += 1) {
      let xin = a0 * (x + 0.5) + a1 * (y + 0.5) + a2;
      let yin = a3 * (x + 0.5) + a4 * (y + 0.5) + a5;
      if (xin < 0 || xin >= width || yin < 0 || yin >= height) continue;
      xin -= 0.5;
      yin -= 0.5;
      const ix = Math.floor(xin);
      const iy = Math.floor(yin);
      const fx = xin - ix;
      const fy = yin - iy;
      const row0 = clipY(iy) * width;
      const hasRow1 = iy + 1 >= 0 && iy + 1 < height;
      const row1 = (iy + 1) * width;
      const x0 = clipX(ix);
      const x1 = clipX(ix + 1);
      for (let c = 0; c < 3; c += 1) {
        const top0 = data[(row0 + x0) * 3 + c];
        const top = top0 + (data[(row0 + x1) * 3 + c] - top0) * fx;
        let bottom = top;
        if (hasRow1) {
          const bottom0 = data[(row1 + x0) * 3 + c];
          bottom = bottom0 + (data[(row1 + x1) * 3 + c] - bottom0) * fx;
        }
        chip[(y * size + x) * 3 + c] = Math.trunc(top + (bottom - top) * fy);
      }
    }
  }
  return chip;
}

/**
 * The aligned `size`×`size` RGB chip of the face whose five MTCNN landmarks (eye centres, nose
 * tip, mouth corners, in image coordinates) are `landmarks`.
 * @param {RgbImage} image
 * @param {number[][]} landmarks
 * @param {number} [size]
 * @returns {Uint8Array}
 */
export function alignFace(image, landmarks, size = CHIP_SIZE) {
  let matrix = similarityTransform(chipTemplate(size), landmarks);
  let source = image;
  const scale = Math.hypot(matrix[0], matrix[3]);
  const factor = scale >= 2 ? Math.trunc(scale) : 1;
  if (factor > 1) {
    const corners = [
      [0, 0],
      [size, 0],
      [0, size],
      [size, size],
    ].map(([x, y]) => [
      matrix[0] * x + matrix[1] * y + matrix[2],
      matrix[3] * x + matrix[4] * y + matrix[5],
    ]);
    const xs = corners.map((point) => point[0]);
    const ys = corners.map((point) => point[1]);
    const left = Math.floor(Math.min(...xs)) - factor;
    const top = Math.floor(Math.min(...ys)) - factor;
    const right = Math.ceil(Math.max(...xs)) + factor;
    const bottom = Math.ceil(Math.max(...ys)) + factor;
    source = cropReduce(image, left, top, right, bottom, factor);
    matrix = [
      matrix[0] / factor,
      matrix[1] / factor,
      (matrix[2] - left) / factor,
      matrix[3] / factor,
      matrix[4] / factor,
      (matrix[5] - top) / factor,
    ];
  }
  return affineBilinear(source, matrix, size);
}
