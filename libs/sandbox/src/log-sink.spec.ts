import { LogSink, LogStream } from './log-sink';

function collect(maxChunk?: number) {
  const calls: [LogStream, string][] = [];
  const sut = new LogSink('stdout', (stream, text) => calls.push([stream, text]), maxChunk);
  return { sut, calls };
}

function end(sink: LogSink): Promise<void> {
  return new Promise((resolve) => sink.end(resolve));
}

describe('LogSink', () => {
  it('keeps a multi-byte character split across chunks whole', async () => {
    const { sut, calls } = collect();
    const bytes = Buffer.from('été 🎉', 'utf8');
    for (const byte of bytes) sut.write(Buffer.from([byte]));
    await end(sut);

    expect(calls.map(([, text]) => text).join('')).toBe('été 🎉');
    expect(calls.every(([stream]) => stream === 'stdout')).toBe(true);
    expect(calls.some(([, text]) => text.includes('\ufffd'))).toBe(false);
  });

  it('turns invalid bytes into U+FFFD and flushes a trailing partial character at the end', async () => {
    const { sut, calls } = collect();
    sut.write(Buffer.from([0x61, 0xff, 0x62, 0xc3]));
    await end(sut);
    expect(calls.map(([, text]) => text).join('')).toBe('a\ufffdb\ufffd');
  });

  it('splits long text into pieces no longer than the limit without breaking surrogate pairs', async () => {
    const { sut, calls } = collect(4);
    sut.write(Buffer.from('abc🎉defgh', 'utf8'));
    await end(sut);

    const pieces = calls.map(([, text]) => text);
    expect(pieces.join('')).toBe('abc🎉defgh');
    expect(pieces.every((p) => p.length >= 1 && p.length <= 4)).toBe(true);
    expect(pieces).toEqual(['abc', '🎉de', 'fgh']);
  });

  it('survives a log consumer that throws', async () => {
    const sut = new LogSink('stderr', () => {
      throw new Error('consumer broke');
    });
    const errors: unknown[] = [];
    sut.on('error', (e) => errors.push(e));
    sut.write(Buffer.from('x'));
    await end(sut);
    expect(errors).toEqual([]);
  });
});
