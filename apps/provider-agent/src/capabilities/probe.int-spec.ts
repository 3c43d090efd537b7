import Docker from 'dockerode';
import { CapabilitiesSchema } from '@tessera/protocol';
import { probeCapabilities } from './probe';

// Medium test: probes this machine through the real Docker engine.
describe('probeCapabilities (real machine)', () => {
  it('describes this host: CPUs, memory, disk, Docker, images and no GPU', async () => {
    const sut = await probeCapabilities({
      docker: new Docker(),
      kinds: ['container'],
      slots: 1,
      workDir: '/tmp/tessera-probe-missing/work',
    });

    expect(CapabilitiesSchema.safeParse(sut).success).toBe(true);
    expect(sut).toMatchObject({ kinds: ['container'], slots: 1, os: 'linux', gpus: [] });
    expect(sut.cpu.cores).toBeGreaterThanOrEqual(1);
    expect(sut.cpu.model).not.toBe('');
    expect(sut.memoryBytes).toBeGreaterThan(512 * 1024 * 1024);
    expect(sut.diskFreeBytes).toBeGreaterThan(0);
    expect(sut.docker.version).toMatch(/^\d+\.\d+/);
    expect(Number(sut.docker.apiVersion)).toBeGreaterThanOrEqual(1.41);
    expect(sut.images).toContain('debian:bookworm-slim');
    expect(sut.images.some((tag) => tag.startsWith('<none>'))).toBe(false);
    expect(['amd64', 'arm64']).toContain(sut.arch);
  });
});
