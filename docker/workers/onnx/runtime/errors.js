'use strict';
// Whole-task failures of infer.js: a code, a one-line message and the exit status. The CLI prints
// them as `TESSERA_ERROR {"code":…,"message":…}` on stdout; row-level problems are not errors of
// this kind (they become `"error"` lines in outputs.jsonl).

/** Exit status per code; anything unexpected is INTERNAL (1). */
const EXIT_CODES = {
  INTERNAL: 1,
  BAD_ARGS: 2,
  MODEL_MISSING: 2,
  NOT_ONNX: 2,
  SPEC_INVALID: 3,
  ROWS_UNREADABLE: 3,
  LABELS_UNREADABLE: 3,
  CUDA_UNAVAILABLE: 4,
  RUN_FAILED: 5,
  OUTPUT_FAILED: 5,
};

class TaskError extends Error {
  /**
   * @param {keyof typeof EXIT_CODES} code
   * @param {string} message
   */
  constructor(code, message) {
    super(oneLine(message));
    this.name = 'TaskError';
    this.code = code;
    this.exitCode = EXIT_CODES[code] ?? 1;
  }
}

/** A problem with one row: it becomes that row's `"error"` line, the task goes on. */
class RowError extends Error {
  constructor(message) {
    super(oneLine(message));
    this.name = 'RowError';
  }
}

/** Messages are single lines (onnxruntime's can span several, and carry ANSI colours on stderr). */
function oneLine(message) {
  return String(message)
    .replace(/\s*[\r\n]+\s*/g, ' ')
    .trim();
}

function messageOf(error) {
  return oneLine(error instanceof Error ? error.message : String(error));
}

module.exports = { EXIT_CODES, TaskError, RowError, oneLine, messageOf };
