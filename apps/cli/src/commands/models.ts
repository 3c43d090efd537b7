import type { CommandContext } from '../cli-context';
import { requireApiKey } from '../config/cli-config';
import { TesseraApi } from '../api/tessera-api';
import { checkLocalModel, describeModel, registerLocalModel } from '../inference/model-registration';
import { formatAge, formatDims } from '../ui/format';
import { renderTable } from '../ui/table';

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** `tessera models`: your registered models as a table, or as the API's JSON with `--json`. */
export async function models(ctx: CommandContext, opts: { json?: boolean }): Promise<number> {
  requireApiKey(ctx.config);
  const list = await new TesseraApi(ctx.config).models();
  if (opts.json) {
    ctx.io.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
    return 0;
  }
  if (list.length === 0) {
    ctx.io.stdout.write('no models yet: tessera models register MODEL.onnx\n');
    return 0;
  }
  const now = ctx.io.now();
  const signature = (ts: { name: string; dims: number[] }[]) =>
    truncate(ts.map((t) => `${t.name}${formatDims(t.dims)}`).join(', '), 40);
  const table = renderTable(
    [
      { header: 'ID' },
      { header: 'NAME' },
      { header: 'INPUTS' },
      { header: 'OUTPUTS' },
      { header: 'BATCH', align: 'right' },
      { header: 'MS/ROW', align: 'right' },
      { header: 'CREATED' },
    ],
    list.map((m) => [
      m.id,
      truncate(m.name, 40),
      m.preprocess ? `image ${m.preprocess.width}x${m.preprocess.height}` : signature(m.inputs),
      m.postprocess ? `${m.postprocess.type.toLowerCase()}` : signature(m.outputs),
      String(m.batchSize),
      m.msPerRow === null ? '-' : String(m.msPerRow),
      formatAge(m.createdAt, now),
    ]),
  );
  ctx.io.stdout.write(`${table}\n`);
  return 0;
}

export interface RegisterOptions {
  name?: string;
  config?: string;
  json?: boolean;
}

/**
 * `tessera models register MODEL.onnx [--name N] [--config CONFIG.json]`: checks the file and its
 * config locally (nothing is uploaded for a typo), uploads the model and labels unless the
 * coordinator has them, registers, and prints the signature the coordinator read from the file.
 */
export async function modelsRegister(
  ctx: CommandContext,
  file: string,
  opts: RegisterOptions,
): Promise<number> {
  const { io, config } = ctx;
  const local = await checkLocalModel(file, io.cwd, opts);
  requireApiKey(config);
  const human = opts.json ? io.stderr : io.stdout;
  if (local.config) human.write(`settings from ${local.config.shown}\n`);
  const model = await registerLocalModel(new TesseraApi(config), human, local);
  if (opts.json) io.stdout.write(`${JSON.stringify(model, null, 2)}\n`);
  else
    human.write(
      `${describeModel(model).join('\n')}\nnext: tessera infer --model ${/^[\w.-]+$/.test(model.name) ? model.name : JSON.stringify(model.name)} --input rows.jsonl\n`,
    );
  return 0;
}
