import type { CommandContext } from '../cli-context';
import { requireApiKey } from '../config/cli-config';
import { TesseraApi } from '../api/tessera-api';

/** `tessera whoami`: the account behind the API key in use, and which coordinator it is on. */
export async function whoami(ctx: CommandContext): Promise<number> {
  requireApiKey(ctx.config);
  const me = await new TesseraApi(ctx.config).me();
  ctx.io.stdout.write(
    `${me.name} (account ${me.id}) on ${ctx.config.url}, key from ${ctx.config.apiKeySource}\n`,
  );
  return 0;
}
