'use strict';
// onnxruntime-node: loading a model into a session and describing its signature. The only module
// that requires onnxruntime-node (lazily, so the rest is testable without it).
const fs = require('node:fs');
const path = require('node:path');
const { TaskError, messageOf } = require('./errors');

let ortModule = null;
function ort() {
  if (!ortModule) ortModule = require('onnxruntime-node');
  return ortModule;
}

/** Is the CUDA execution provider's library next to the binding (tessera/onnx:*-cuda only)? */
function cudaProviderPresent() {
  try {
    const pkg = path.dirname(require.resolve('onnxruntime-node/package.json'));
    const dir = path.join(pkg, 'bin', 'napi-v6', process.platform, process.arch);
    return fs.existsSync(path.join(dir, 'libonnxruntime_providers_cuda.so'));
  } catch {
    return false;
  }
}

/**
 * Creates an inference session: intra-op threads as asked, one inter-op thread, sequential
 * execution, all graph optimisations, errors-only logging; on the CUDA execution provider for
 * device "cuda" (failing with CUDA_UNAVAILABLE when it cannot be used), else the CPU one.
 */
async function createSession(modelPath, { threads = 1, device = 'cpu' } = {}) {
  try {
    if (!fs.statSync(modelPath).isFile()) throw new Error('not a regular file');
  } catch (error) {
    throw new TaskError('MODEL_MISSING', `cannot read the model ${modelPath}: ${messageOf(error)}`);
  }
  const options = {
    executionProviders: device === 'cuda' ? [{ name: 'cuda', deviceId: 0 }] : ['cpu'],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3,
    // Idle intra-op threads sleep instead of spinning: a provider's machine also runs the agent (and
    // maybe other tasks), and spinning threads of two sessions on shared cores starve each other.
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  };
  if (device === 'cuda' && !cudaProviderPresent()) {
    throw new TaskError(
      'CUDA_UNAVAILABLE',
      'device "cuda" was asked, but this image has no CUDA execution provider (the CPU image ' +
        'tessera/onnx:1; GPU work runs in tessera/onnx:1-cuda, built from docker/workers/onnx/Dockerfile.cuda)',
    );
  }
  try {
    return await ort().InferenceSession.create(modelPath, options);
  } catch (error) {
    const message = messageOf(error);
    if (device === 'cuda' && /cuda|provider|shared library/i.test(message)) {
      throw new TaskError('CUDA_UNAVAILABLE', `the CUDA execution provider cannot be used: ${message}`);
    }
    throw new TaskError('NOT_ONNX', message);
  }
}

/**
 * `{ name, type, dims }` per input/output; every symbolic or unknown dim is -1. Sequences and maps
 * are type "non-tensor" with dims [] (infer.js cannot feed or split them).
 */
function describeModel(session) {
  const describe = (meta) =>
    meta.map((m) => {
      if (!m.isTensor) return { name: m.name, type: 'non-tensor', dims: [] };
      const dims = Array.isArray(m.shape)
        ? m.shape.map((d) => (typeof d === 'number' && Number.isInteger(d) && d >= 0 ? d : -1))
        : [];
      return { name: m.name, type: m.type, dims };
    });
  return { inputs: describe(session.inputMetadata), outputs: describe(session.outputMetadata) };
}

/**
 * A loaded model as the rest of the runtime sees it: `signature` ({ inputs, outputs } from
 * describeModel), `run(feeds, fetches)` taking and resolving plain `{ type, dims, data }` tensors,
 * and `release()`. Tests replace it with a fake of the same shape.
 */
async function openModel(modelPath, options) {
  const session = await createSession(modelPath, options);
  const { Tensor } = ort();
  return {
    signature: describeModel(session),
    async run(feeds, fetches) {
      const ortFeeds = {};
      for (const [name, feed] of Object.entries(feeds))
        ortFeeds[name] = new Tensor(feed.type, feed.data, feed.dims);
      const results = await session.run(ortFeeds, fetches);
      const plain = {};
      for (const [name, tensor] of Object.entries(results)) {
        plain[name] = { type: tensor.type, dims: Array.from(tensor.dims), data: tensor.data };
      }
      return plain;
    },
    async release() {
      await session.release?.();
    },
  };
}

module.exports = { createSession, describeModel, openModel, cudaProviderPresent };
