'use strict';
// Command line of /opt/tessera/infer.js. stdout carries only protocol lines:
//   TESSERA_MODEL_JSON {…}    inspect's result
//   TESSERA_PROGRESS {…}      run, after every batch
//   TESSERA_ERROR {"code","message"}   a whole-task failure (exit status per errors.EXIT_CODES)
// Everything else (a run's summary, onnxruntime's own logging) goes to stderr.
const { parseArgs } = require('node:util');
const { TaskError, messageOf } = require('./errors');

const USAGE = `usage:
  infer.js inspect --model FILE [--batch-size B] [--threads T] [--bench-ms MS] [--bench-shape JSON]
  infer.js run (--spec FILE | --spec-json JSON) --rows FILE --model FILE --out FILE [--in DIR]
    (--in: where image paths resolve; default $TESSERA_INPUT_DIR or /in)`;

const COMMANDS = {
  inspect: {
    options: {
      model: { type: 'string' },
      'batch-size': { type: 'string' },
      threads: { type: 'string' },
      'bench-ms': { type: 'string' },
      'bench-shape': { type: 'string' },
    },
    required: ['model'],
  },
  run: {
    options: {
      spec: { type: 'string' },
      'spec-json': { type: 'string' },
      rows: { type: 'string' },
      model: { type: 'string' },
      out: { type: 'string' },
      in: { type: 'string' },
    },
    required: ['rows', 'model', 'out'],
    oneOf: ['spec', 'spec-json'],
  },
};

function positiveInt(name, text, fallback, min = 1) {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < min) {
    throw new TaskError('BAD_ARGS', `--${name} must be an integer >= ${min} (got ${JSON.stringify(text)})`);
  }
  return value;
}

/** `{ command, values }` or a BAD_ARGS TaskError. */
function parseCommandLine(argv) {
  const [command, ...rest] = argv;
  const def = COMMANDS[command];
  if (!def) throw new TaskError('BAD_ARGS', `unknown command ${JSON.stringify(command ?? '')}; ${USAGE}`);
  let values;
  try {
    ({ values } = parseArgs({ args: rest, options: def.options, strict: true, allowPositionals: false }));
  } catch (error) {
    throw new TaskError('BAD_ARGS', `${messageOf(error)}; ${USAGE}`);
  }
  const missing = def.required.filter((key) => values[key] === undefined);
  if (def.oneOf && def.oneOf.filter((key) => values[key] !== undefined).length !== 1) {
    missing.push(def.oneOf.join(' or --'));
  }
  if (missing.length > 0) {
    throw new TaskError(
      'BAD_ARGS',
      `${command} needs ${missing.map((k) => `--${k}`).join(', ')} (once); ${USAGE}`,
    );
  }
  return { command, values };
}

async function main(argv, env = process.env) {
  try {
    if (argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    const { command, values } = parseCommandLine(argv);
    if (command === 'inspect') {
      const { inspectModel, parseBenchShape } = require('./inspect');
      const result = await inspectModel({
        model: values.model,
        batchSize: positiveInt('batch-size', values['batch-size'], undefined),
        threads: positiveInt('threads', values.threads, 1),
        benchMs: positiveInt('bench-ms', values['bench-ms'], 1500, 0),
        benchShape: parseBenchShape(values['bench-shape']),
      });
      process.stdout.write(`TESSERA_MODEL_JSON ${JSON.stringify(result)}\n`);
      return 0;
    }
    const { runTask } = require('./run');
    const summary = await runTask({
      spec: values.spec,
      specJson: values['spec-json'],
      rows: values.rows,
      model: values.model,
      out: values.out,
      inDir: values.in ?? env.TESSERA_INPUT_DIR ?? '/in',
    });
    const rate = summary.seconds > 0 ? summary.rows / summary.seconds : 0;
    process.stderr.write(
      `infer.js run: ${summary.rows} rows (${summary.errors} errors) in ${summary.seconds.toFixed(3)} s, ` +
        `${rate.toFixed(1)} rows/s; batches ${summary.modelSeconds.toFixed(3)} s\n`,
    );
    return 0;
  } catch (error) {
    const failure =
      error instanceof TaskError ? error : new TaskError('INTERNAL', `unexpected error: ${messageOf(error)}`);
    if (!(error instanceof TaskError))
      process.stderr.write(`${error && error.stack ? error.stack : error}\n`);
    process.stdout.write(
      `TESSERA_ERROR ${JSON.stringify({ code: failure.code, message: failure.message })}\n`,
    );
    process.stderr.write(`infer.js: error: ${failure.code}: ${failure.message}\n`);
    return failure.exitCode;
  }
}

module.exports = { main, parseCommandLine, USAGE };
