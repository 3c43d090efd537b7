import type { Output } from '../cli-context';

const CLEAR_LINE = '\r\x1b[2K';

/**
 * A status line redrawn in place at the bottom of a terminal, with ordinary lines printed above
 * it. On anything but a terminal the status line is never drawn and lines are printed plainly, so
 * logs and pipes get no escape codes.
 */
export class LiveLine {
  private current = '';

  constructor(private readonly out: Output) {}

  get live(): boolean {
    return this.out.isTTY;
  }

  /** Replaces the status line (terminals only), cut to the width so it never wraps. */
  set(text: string): void {
    if (!this.live) return;
    this.current = text.length >= this.out.columns ? text.slice(0, Math.max(1, this.out.columns - 1)) : text;
    this.out.write(`${CLEAR_LINE}${this.current}`);
  }

  /** Prints a line above the status line. */
  print(line: string): void {
    if (this.live && this.current) this.out.write(`${CLEAR_LINE}${line}\n${this.current}`);
    else this.out.write(`${line}\n`);
  }

  /** Removes the status line, leaving the cursor at the start of an empty line. */
  clear(): void {
    if (this.live && this.current) this.out.write(CLEAR_LINE);
    this.current = '';
  }
}
