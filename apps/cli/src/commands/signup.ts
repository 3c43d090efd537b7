import type { CommandContext } from '../cli-context';
import { CliError } from '../cli-error';
import { displayPath, readConfigFile, writeConfigFile } from '../config/cli-config';
import { TesseraApi } from '../api/tessera-api';

/**
 * `tessera signup --name <name>`: opens an account and saves its API key (shown only once by the
 * coordinator) with the coordinator URL in the config file, readable by its owner only. An existing
 * key is never overwritten without `--force`, and the file is checked before the account is made.
 */
export async function signup(ctx: CommandContext, opts: { name: string; force?: boolean }): Promise<number> {
  const { config, io } = ctx;
  const shown = displayPath(config.configPath, io.homeDir);
  const existing = readConfigFile(config.configPath);
  if (existing?.apiKey && !opts.force)
    throw new CliError(
      `${shown} already holds an API key; run "tessera whoami" to see whose, or pass --force to replace it`,
    );
  if (!opts.name.trim()) throw new CliError('--name: give a display name for the account');
  const { apiKey, account } = await new TesseraApi({ ...config, apiKey: undefined }).createAccount(
    opts.name.trim(),
  );
  writeConfigFile(config.configPath, { ...existing, url: config.url, apiKey });
  io.stdout.write(
    `created account "${account.name}" (${account.id}) on ${config.url}\n` +
      `API key saved to ${shown} (readable by you only)\n` +
      `next: tessera render scene.blend\n`,
  );
  return 0;
}
