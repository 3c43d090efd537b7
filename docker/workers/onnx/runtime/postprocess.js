'use strict';
// Postprocessing of one row's output: CTC greedy decoding (PaddleOCR's CTCLabelDecode) and argmax
// over the last axis. Pure functions over typed arrays.

/**
 * The labels of a CTC dictionary file: one per line, `\r\n` or `\n`, the newline after the last
 * line optional; an empty line is a label (the empty string) as in PaddleOCR. With appendSpace a
 * " " label is appended last.
 */
function parseLabels(text, appendSpace) {
  const lines = text.split('\n').map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line));
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  if (appendSpace) lines.push(' ');
  return lines;
}

/**
 * The character of every class: the labels with the blank inserted at blankIndex (PaddleOCR: blank
 * 0, so class i + 1 is label i). Returns an array whose blankIndex entry is null.
 */
function ctcClasses(labels, blankIndex) {
  const classes = labels.slice();
  classes.splice(blankIndex, 0, null);
  return classes;
}

/**
 * Greedy CTC over one row's `[T, C]` probabilities (`probs` from `offset`): argmax per time step
 * (first maximum on ties), merge repeats, drop blanks. Confidence is the mean of the kept steps'
 * maximum probabilities (the first step of each merged run, as PaddleOCR does), 0 when no
 * character is kept.
 */
function ctcGreedyDecode(probs, offset, steps, classes, blankIndex) {
  const C = classes.length;
  let text = '';
  let sum = 0;
  let kept = 0;
  let previous = -1;
  for (let t = 0; t < steps; t++) {
    const base = offset + t * C;
    let best = 0;
    let max = probs[base];
    for (let c = 1; c < C; c++) {
      if (probs[base + c] > max) {
        max = probs[base + c];
        best = c;
      }
    }
    if (best !== blankIndex && best !== previous) {
      text += classes[best];
      sum += max;
      kept++;
    }
    previous = best;
  }
  return { text, confidence: kept === 0 ? 0 : sum / kept };
}

/**
 * Argmax and maximum over the last axis of one row (`rowDims`, batch removed) of `data` from
 * `offset`: flat arrays of product(rowDims[:-1]) entries, first maximum on ties, NaN ignored
 * (an all-NaN slice gives index 0 and max NaN).
 */
function argmaxLastAxis(data, offset, rowDims) {
  const last = rowDims.length === 0 ? 1 : rowDims[rowDims.length - 1];
  let count = 1;
  for (let i = 0; i < rowDims.length - 1; i++) count *= rowDims[i];
  const argmax = new Array(count);
  const max = new Array(count);
  for (let k = 0; k < count; k++) {
    const base = offset + k * last;
    let best = 0;
    let value = Number.NaN;
    for (let c = 0; c < last; c++) {
      const v = Number(data[base + c]);
      if (Number.isNaN(value) ? !Number.isNaN(v) : v > value) {
        value = v;
        best = c;
      }
    }
    argmax[k] = best;
    max[k] = value;
  }
  return { argmax, max };
}

module.exports = { parseLabels, ctcClasses, ctcGreedyDecode, argmaxLastAxis };
