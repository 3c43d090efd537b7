import { chmodSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CliError } from '../cli-error';

export const DEFAULT_URL = 'http://127.0.0.1:8080';

/** The resolved settings every command runs with. */
export interface CliConfig {
  /** Coordinator base URL, without a trailing slash (a path prefix is kept). */
  url: string;
  apiKey?: string;
  /** Where the API key came from, named in authentication errors. */
  apiKeySource?: string;
  /** The config file, whether or not it exists. */
  configPath: string;
  /** Problems worth a warning that do not stop the command. */
  warnings: string[];
}

/** What the config file holds. */
export interface ConfigFile {
  url?: string;
  apiKey?: string;
}

export function configPathFor(homeDir: string): string {
  return join(homeDir, '.config', 'tessera', 'cli.json');
}

/** `~/.config/tessera/cli.json` rather than the full path, when it is under the home folder. */
export function displayPath(path: string, homeDir: string): string {
  return path.startsWith(`${homeDir}/`) ? `~${path.slice(homeDir.length)}` : path;
}

/** Reads the config file; undefined when there is none. A malformed file is an error naming the fix. */
export function readConfigFile(path: string): ConfigFile | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new CliError(`cannot read ${path}: ${(error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new CliError(`${path} is not valid JSON: fix it or delete it and run "tessera signup" again`);
  }
  const file = parsed as Record<string, unknown>;
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new CliError(`${path} must hold a JSON object like {"url": "...", "apiKey": "..."}`);
  for (const key of ['url', 'apiKey'] as const) {
    if (file[key] !== undefined && typeof file[key] !== 'string')
      throw new CliError(`${path}: "${key}" must be a string`);
  }
  return { url: file.url as string | undefined, apiKey: file.apiKey as string | undefined };
}

/**
 * Writes the config file readable by its owner only (0600, folder 0700), atomically: a crash
 * leaves the old file or the new one, never half of one.
 */
export function writeConfigFile(path: string, values: ConfigFile): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(values, null, 2)}\n`, { mode: 0o600 });
  chmodSync(temp, 0o600);
  renameSync(temp, path);
}

/** `http://host:8080/` → `http://host:8080`; anything but an http(s) URL is refused. */
export function normalizeUrl(raw: string, from: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new CliError(`${from} "${raw}" is not a URL: use e.g. ${DEFAULT_URL}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new CliError(`${from} "${raw}" must be an http:// or https:// URL`);
  return `${url.origin}${url.pathname}`.replace(/\/+$/, '');
}

/**
 * Settings in order of precedence: flags, then TESSERA_URL / TESSERA_API_KEY, then the config file,
 * then the default URL. The file is read only when a flag or variable leaves something unset.
 */
export function resolveConfig(
  flags: { url?: string; apiKey?: string },
  env: NodeJS.ProcessEnv,
  homeDir: string,
): CliConfig {
  const configPath = configPathFor(homeDir);
  const shown = displayPath(configPath, homeDir);
  const warnings: string[] = [];
  const envUrl = env.TESSERA_URL || undefined;
  const envKey = env.TESSERA_API_KEY || undefined;
  const needFile = !(flags.url ?? envUrl) || !(flags.apiKey ?? envKey);
  const file = needFile ? readConfigFile(configPath) : undefined;
  if (file && (statSync(configPath).mode & 0o077) !== 0)
    warnings.push(`${shown} is readable by other users; run: chmod 600 ${shown}`);

  const [rawUrl, urlFrom] = flags.url
    ? [flags.url, '--url']
    : envUrl
      ? [envUrl, 'TESSERA_URL']
      : file?.url
        ? [file.url, `"url" in ${shown}`]
        : [DEFAULT_URL, 'the default URL'];
  const [apiKey, apiKeySource] = flags.apiKey
    ? [flags.apiKey, '--api-key']
    : envKey
      ? [envKey, 'TESSERA_API_KEY']
      : file?.apiKey
        ? [file.apiKey, shown]
        : [undefined, undefined];
  return { url: normalizeUrl(rawUrl, urlFrom), apiKey, apiKeySource, configPath, warnings };
}

/** The API key, or an error saying how to get one. */
export function requireApiKey(config: CliConfig): string {
  if (config.apiKey) return config.apiKey;
  throw new CliError(
    'no API key: run "tessera signup --name <your name>", or pass --api-key or set TESSERA_API_KEY',
  );
}
