import { describe, expect, it } from 'vitest';
import {
  clearApiKey,
  loadApiKey,
  maskApiKey,
  normalizeApiKey,
  saveApiKey,
  STORAGE_KEY,
  type KeyValueStore,
} from './session-store';

function memory(): KeyValueStore & { data: Map<string, string> } {
  const data = new Map<string, string>();
  return {
    data,
    getItem: (k) => data.get(k) ?? null,
    setItem: (k, v) => void data.set(k, v),
    removeItem: (k) => void data.delete(k),
  };
}

describe('session store', () => {
  it('keeps the key in localStorage under one name and forgets it on sign-out', () => {
    const store = memory();
    expect(loadApiKey(store)).toBeNull();
    saveApiKey(store, ' tsk_abc ');
    expect(store.data.get(STORAGE_KEY)).toBe('tsk_abc');
    expect(loadApiKey(store)).toBe('tsk_abc');
    clearApiKey(store);
    expect(loadApiKey(store)).toBeNull();
  });

  it('works on without storage (disabled by the browser)', () => {
    const broken: KeyValueStore = {
      getItem: () => {
        throw new Error('SecurityError');
      },
      setItem: () => {
        throw new Error('QuotaExceededError');
      },
      removeItem: () => {
        throw new Error('SecurityError');
      },
    };
    expect(loadApiKey(broken)).toBeNull();
    expect(() => saveApiKey(broken, 'k')).not.toThrow();
    expect(() => clearApiKey(broken)).not.toThrow();
  });

  it('cleans what copying a key adds, and masks it for display', () => {
    expect(normalizeApiKey('  Bearer tsk_abc123 ')).toBe('tsk_abc123');
    expect(normalizeApiKey('"tsk_abc123"')).toBe('tsk_abc123');
    expect(normalizeApiKey('   ')).toBeNull();
    expect(normalizeApiKey('two words')).toBeNull();
    expect(maskApiKey('tsk_0123456789abcdef')).toBe('tsk_…cdef');
  });
});
