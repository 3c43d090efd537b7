#!/usr/bin/env node
'use strict';
// /opt/tessera/infer.js in tessera/onnx: `inspect` a model, `run` rows through it. The contract
// (arguments, spec.json, rows.jsonl, outputs.jsonl, stdout lines, exit codes) is in README.md
// beside this file; the code is in runtime/.
require('./runtime/cli')
  .main(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  });
