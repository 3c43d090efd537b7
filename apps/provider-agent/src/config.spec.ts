import { loadAgentConfig } from './config';

describe('loadAgentConfig', () => {
  it('gives the blob cache 4 GiB by default, and turns it off at 0', () => {
    expect(loadAgentConfig({}).blobCacheBytes).toBe(4 * 2 ** 30);
    expect(loadAgentConfig({ TESSERA_AGENT_BLOB_CACHE_MB: '0' }).blobCacheBytes).toBe(0);
    expect(loadAgentConfig({ TESSERA_AGENT_BLOB_CACHE_MB: '512' }).blobCacheBytes).toBe(512 * 2 ** 20);
  });

  it('names a bad blob cache size', () => {
    expect(() => loadAgentConfig({ TESSERA_AGENT_BLOB_CACHE_MB: '-1' })).toThrow(
      /TESSERA_AGENT_BLOB_CACHE_MB="-1"/,
    );
    expect(() => loadAgentConfig({ TESSERA_AGENT_BLOB_CACHE_MB: 'lots' })).toThrow(
      /TESSERA_AGENT_BLOB_CACHE_MB="lots"/,
    );
  });
});
