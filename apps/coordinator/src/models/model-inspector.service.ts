import { Inject, Injectable, Logger } from '@nestjs/common';
import { RunnerError } from '@tessera/sandbox';
import { ModelInspection } from '@tessera/workloads';
import { z } from 'zod';
import { BLOB_STORE, BlobStore } from '../blobs/blob-store';
import { AppError } from '../common/app-error';
import { markedJson, ProbeInputMissing, ProbeResult, SandboxProbe } from '../common/sandbox-probe';
import { COORDINATOR_CONFIG, CoordinatorConfig } from '../config/config';

const MIB = 1024 * 1024;

const TensorSchema = z.object({
  name: z.string().max(200),
  type: z.string().max(32),
  dims: z.array(z.number().int()).max(16),
});
const InspectionSchema = z.object({
  inputs: z.array(TensorSchema).max(64),
  outputs: z.array(TensorSchema).max(64),
  msPerRow: z.number().nonnegative().nullable(),
});
const ErrorSchema = z.object({ code: z.string(), message: z.string() });

/**
 * Opens a registered ONNX file with onnxruntime in the inference image, in the sandbox, and reports
 * its inputs and outputs and how long one row takes at the model's batch size (2 threads). A file
 * onnxruntime cannot load is refused with its own message. Results are cached by file and shape.
 */
@Injectable()
export class ModelInspector {
  private readonly logger = new Logger(ModelInspector.name);
  private readonly probe: SandboxProbe;
  private readonly cache = new Map<string, ModelInspection>();

  constructor(
    @Inject(COORDINATOR_CONFIG) private readonly config: CoordinatorConfig,
    @Inject(BLOB_STORE) store: BlobStore,
  ) {
    this.probe = new SandboxProbe(store, 'model-inspector');
  }

  get enabled(): boolean {
    return this.config.inference.inspector === 'docker';
  }

  /** `benchShape`: full input shapes (batch included) to time a zero batch with; omitted = no timing. */
  async inspect(
    onnx: { sha256: string; size: number },
    batchSize: number,
    benchShape?: Record<string, number[]>,
  ): Promise<ModelInspection> {
    const key = `${onnx.sha256}:${batchSize}:${JSON.stringify(benchShape ?? null)}`;
    const cached = this.cache.get(key);
    if (cached) return cached;
    const command = [
      'node',
      '/opt/tessera/infer.js',
      'inspect',
      '--model',
      '/in/model.onnx',
      '--batch-size',
      String(batchSize),
      '--threads',
      '2',
      '--bench-ms',
      '1500',
    ];
    if (benchShape) command.push('--bench-shape', JSON.stringify(benchShape));
    let probe: ProbeResult;
    try {
      probe = await this.probe.run({
        image: this.config.inference.image,
        command,
        env: { ORT_DISABLE_TELEMETRY: '1' },
        files: [{ sha256: onnx.sha256, path: 'model.onnx' }],
        limits: {
          cpus: 2,
          memoryBytes: 1024 * MIB + 6 * onnx.size,
          pids: 256,
          timeoutSec: 60,
          tmpBytes: 64 * MIB,
          outputBytes: MIB,
          outputFiles: 4,
        },
      });
    } catch (error) {
      if (error instanceof ProbeInputMissing) throw new AppError('INPUT_NOT_FOUND', error.message, 'onnx');
      if (error instanceof RunnerError) {
        this.logger.error({ msg: 'model inspection could not run', code: error.code, err: error.message });
        throw new AppError(
          'UNAVAILABLE',
          error.code === 'IMAGE_UNAVAILABLE'
            ? `the model inspector needs the image ${this.config.inference.image} on the coordinator's Docker host (docker/build-images.sh builds it)`
            : `models cannot be inspected right now (${error.message}); try again later`,
        );
      }
      throw error;
    }
    const { result, log } = probe;
    const parsed = InspectionSchema.safeParse(markedJson(log, 'TESSERA_MODEL_JSON '));
    if (result.outcome === 'exited' && result.exitCode === 0 && parsed.success) {
      this.logger.log({
        msg: 'model inspected',
        sha256: onnx.sha256,
        ms: probe.ms,
        msPerRow: parsed.data.msPerRow,
      });
      this.cache.set(key, parsed.data);
      if (this.cache.size > 256) this.cache.delete(this.cache.keys().next().value as string);
      return parsed.data;
    }
    const failure = ErrorSchema.safeParse(markedJson(log, 'TESSERA_ERROR '));
    if (failure.success && failure.data.code === 'NOT_ONNX') {
      throw new AppError(
        'NOT_ONNX',
        `the file is not an ONNX model onnxruntime can load: ${failure.data.message.slice(0, 500)}`,
        'onnx',
      );
    }
    if (result.outcome === 'timeout')
      throw new AppError('NOT_ONNX', 'onnxruntime did not finish loading the model within 60 s', 'onnx');
    if (result.outcome === 'oom')
      throw new AppError('NOT_ONNX', 'onnxruntime ran out of memory loading the model', 'onnx');
    const detail = failure.success ? failure.data.message : log.trim().split('\n').slice(-3).join(' / ');
    throw new AppError(
      'NOT_ONNX',
      `the model could not be inspected: ${detail.slice(0, 500) || 'no output'}`,
      'onnx',
    );
  }
}
