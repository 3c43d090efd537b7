import { StringDecoder } from 'node:string_decoder';
import { Writable } from 'node:stream';
import { MAX_LOG_CHUNK_CHARS } from '@tessera/protocol';

export type LogStream = 'stdout' | 'stderr';
export type LogHandler = (stream: LogStream, text: string) => void;

/**
 * One side (stdout or stderr) of a container's demultiplexed output, decoded as UTF-8. Guarantees:
 * a multi-byte character split across Docker frames is delivered whole (never as U+FFFD halves);
 * invalid bytes become U+FFFD; every `onLog` call carries 1 to MAX_LOG_CHUNK_CHARS characters and
 * never splits a surrogate pair; an exception thrown by `onLog` is swallowed, so a faulty log
 * consumer cannot break the container's cleanup. Call `end()` to flush a trailing partial character.
 */
export class LogSink extends Writable {
  private readonly decoder = new StringDecoder('utf8');

  constructor(
    private readonly stream: LogStream,
    private readonly onLog: LogHandler,
    private readonly maxChunk = MAX_LOG_CHUNK_CHARS,
  ) {
    super();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.emitText(this.decoder.write(chunk));
    callback();
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.emitText(this.decoder.end());
    callback();
  }

  private emitText(text: string): void {
    let rest = text;
    while (rest.length > 0) {
      let cut = Math.min(rest.length, this.maxChunk);
      // Never end a piece on the high half of a surrogate pair (an emoji would become two U+FFFD).
      const last = rest.charCodeAt(cut - 1);
      if (cut < rest.length && cut > 1 && last >= 0xd800 && last <= 0xdbff) cut -= 1;
      this.deliver(rest.slice(0, cut));
      rest = rest.slice(cut);
    }
  }

  private deliver(text: string): void {
    try {
      this.onLog(this.stream, text);
    } catch {
      // Deliberately ignored: see the class comment.
    }
  }
}
