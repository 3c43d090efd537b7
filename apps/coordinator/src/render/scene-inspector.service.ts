import { Inject, Injectable, Logger } from '@nestjs/common';
import { RunnerError } from '@tessera/sandbox';
import { SceneInfo, WorkloadInputError } from '@tessera/workloads';
import { z } from 'zod';
import { BLOB_STORE, BlobStore } from '../blobs/blob-store';
import { markedJson, ProbeInputMissing, ProbeResult, SandboxProbe } from '../common/sandbox-probe';
import { COORDINATOR_CONFIG, CoordinatorConfig } from '../config/config';

const SceneInfoSchema = z.object({
  blenderVersion: z.string(),
  fileVersion: z.string(),
  scene: z.string(),
  frameStart: z.number().int(),
  frameEnd: z.number().int(),
  frameStep: z.number().int(),
  fps: z.number(),
  resolutionX: z.number().int(),
  resolutionY: z.number().int(),
  resolutionPercentage: z.number().int(),
  engine: z.string(),
  camera: z.boolean(),
  samples: z.number().int(),
  autoRunScriptsPresent: z.boolean(),
});

const MARKER = 'TESSERA_SCENE_JSON ';
const MIB = 1024 * 1024;

/** How .blend files start: plain, gzip-compressed (Blender < 3.0) or zstd-compressed (3.0+). */
function looksLikeBlend(head: Buffer): boolean {
  return (
    head.toString('latin1', 0, 7) === 'BLENDER' ||
    (head[0] === 0x1f && head[1] === 0x8b) ||
    (head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd)
  );
}

/**
 * Opens a submitted scene in Blender, inside the same sandbox a provider uses (no network, no
 * capabilities, read-only root, auto-run scripts disabled, memory and time limits), and reports its
 * frame range, resolution, engine and camera. Blender's own error comes back when it cannot read
 * the file. Results are cached by digest; at most two inspections run at once.
 */
@Injectable()
export class SceneInspector {
  private readonly logger = new Logger(SceneInspector.name);
  private readonly probe: SandboxProbe;
  private readonly cache = new Map<string, SceneInfo>();

  constructor(
    @Inject(COORDINATOR_CONFIG) private readonly config: CoordinatorConfig,
    @Inject(BLOB_STORE) private readonly store: BlobStore,
  ) {
    this.probe = new SandboxProbe(store, 'scene-inspector');
  }

  get enabled(): boolean {
    return this.config.render.inspector === 'docker';
  }

  async inspect(blend: { sha256: string; size: number }): Promise<SceneInfo> {
    const cached = this.cache.get(blend.sha256);
    if (cached) return cached;
    await this.checkMagic(blend.sha256);
    const info = await this.run(blend);
    this.cache.set(blend.sha256, info);
    if (this.cache.size > 256) this.cache.delete(this.cache.keys().next().value as string);
    return info;
  }

  private async checkMagic(sha256: string): Promise<void> {
    const stream = await this.store.read(sha256);
    if (!stream)
      throw new WorkloadInputError('INPUT_NOT_FOUND', `blob ${sha256} is gone from the store`, 'blend');
    const head = await new Promise<Buffer>((resolve, reject) => {
      let got = Buffer.alloc(0);
      stream.on('data', (chunk: Buffer) => {
        got = Buffer.concat([got, chunk]);
        if (got.length >= 12) stream.destroy();
      });
      stream.on('close', () => resolve(got));
      stream.on('error', reject);
    });
    if (!looksLikeBlend(head)) {
      const shown = JSON.stringify(
        head
          .subarray(0, 12)
          .toString('latin1')
          .replace(/[^\x20-\x7e]/g, '.'),
      );
      throw new WorkloadInputError(
        'NOT_A_BLEND',
        `the file is not a .blend: it starts with ${shown}, not "BLENDER"`,
        'blend',
      );
    }
  }

  private async run(blend: { sha256: string; size: number }): Promise<SceneInfo> {
    let probe: ProbeResult;
    try {
      probe = await this.probe.run({
        image: this.config.render.image,
        command: [
          'blender',
          '-b',
          '-Y',
          '--factory-startup',
          '/in/scene.blend',
          '--python-exit-code',
          '3',
          '-P',
          '/opt/tessera/inspect.py',
        ],
        files: [{ sha256: blend.sha256, path: 'scene.blend' }],
        limits: {
          cpus: 1,
          memoryBytes: 2048 * MIB + 4 * blend.size,
          pids: 256,
          timeoutSec: 60,
          tmpBytes: 256 * MIB,
          outputBytes: MIB,
          outputFiles: 16,
        },
      });
    } catch (error) {
      if (error instanceof ProbeInputMissing)
        throw new WorkloadInputError('INPUT_NOT_FOUND', error.message, 'blend');
      if (error instanceof RunnerError) {
        this.logger.error({ msg: 'scene inspection could not run', code: error.code, err: error.message });
        throw new WorkloadInputError(
          'UNAVAILABLE',
          error.code === 'IMAGE_UNAVAILABLE'
            ? `the scene inspector needs the image ${this.config.render.image} on the coordinator's Docker host (docker/build-images.sh builds it)`
            : `scenes cannot be inspected right now (${error.message}); try again later`,
        );
      }
      throw error;
    }
    const { result, log } = probe;
    if (result.outcome === 'exited' && result.exitCode === 0) {
      const parsed = SceneInfoSchema.safeParse(markedJson(log, MARKER));
      if (parsed.success) {
        this.logger.log({
          msg: 'scene inspected',
          sha256: blend.sha256,
          ms: probe.ms,
          scene: parsed.data.scene,
        });
        return parsed.data;
      }
    }
    if (result.outcome === 'timeout') {
      throw new WorkloadInputError(
        'SCENE_INVALID',
        'Blender did not finish opening the scene within 60 s',
        'blend',
      );
    }
    if (result.outcome === 'oom') {
      throw new WorkloadInputError('SCENE_INVALID', 'Blender ran out of memory opening the scene', 'blend');
    }
    throw new WorkloadInputError(
      'SCENE_INVALID',
      `Blender could not open the scene: ${blenderError(log)}`,
      'blend',
    );
  }
}

/** The lines of Blender's output that say what went wrong (it prints errors to stdout, unprefixed). */
export function blenderError(log: string): string {
  const lines = log
    .split('\n')
    .map((l) => l.trim())
    .filter(
      (l) => l && !l.startsWith('Blender ') && !l.startsWith('Read prefs') && !l.startsWith('TESSERA_'),
    );
  const errors = lines.filter((l) => /error|unable|failed|cannot|not a blend|truncat|corrupt/i.test(l));
  const chosen = (errors.length ? errors : lines.slice(-3)).slice(0, 3).join(' / ');
  return chosen.slice(0, 500) || 'it exited without saying why';
}
