/** Where the API key is kept between visits: this browser's localStorage, under one key. */
export const STORAGE_KEY = 'tessera.apiKey';

export interface KeyValueStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export function loadApiKey(store: KeyValueStore | null): string | null {
  try {
    const key = store?.getItem(STORAGE_KEY)?.trim();
    return key ? key : null;
  } catch {
    return null; // storage disabled (private mode, policies): sign in again each visit
  }
}

export function saveApiKey(store: KeyValueStore | null, apiKey: string): void {
  try {
    store?.setItem(STORAGE_KEY, apiKey.trim());
  } catch {
    // Storage refused: the key still works for this visit.
  }
}

export function clearApiKey(store: KeyValueStore | null): void {
  try {
    store?.removeItem(STORAGE_KEY);
  } catch {
    // nothing stored, nothing to clear
  }
}

/** "tsk_…3f9a": enough to tell keys apart, not enough to use one. */
export function maskApiKey(apiKey: string): string {
  const prefix = /^[a-z]+_/.exec(apiKey)?.[0] ?? '';
  return `${prefix}…${apiKey.slice(-4)}`;
}

/** A pasted key, cleaned of what copying adds ("Bearer ", quotes, spaces); null when empty. */
export function normalizeApiKey(input: string): string | null {
  const key = input
    .trim()
    .replace(/^bearer\s+/i, '')
    .replace(/^["']|["']$/g, '')
    .trim();
  return key && !/\s/.test(key) ? key : null;
}
