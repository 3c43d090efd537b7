import { writeSync } from 'node:fs';
import { Inject, Injectable } from '@nestjs/common';
import { COORDINATOR_CONFIG, CoordinatorConfig } from '../config/config';
import type { CrashPoint } from '../config/chain-config';

/**
 * Thrown instead of the SIGKILL by medium tests that replace `reach` in-process: the worker lets it
 * end the whole run, as a killed process would stop, rather than logging it and carrying on.
 */
export class SimulatedCrash extends Error {
  constructor(readonly point: CrashPoint) {
    super(`simulated crash at ${point}`);
    this.name = 'SimulatedCrash';
  }
}

/**
 * Test-only crash injection: with NODE_ENV=test and TESSERA_TEST_CRASH_AT=<point>, the process
 * SIGKILLs itself when it reaches that point (no cleanup, no shutdown hooks), so an end-to-end test
 * can prove that a restart finishes the work exactly once. Outside NODE_ENV=test the config refuses
 * the variable, and `reach` does nothing.
 */
@Injectable()
export class CrashPoints {
  constructor(@Inject(COORDINATOR_CONFIG) private readonly config: CoordinatorConfig) {}

  reach(point: CrashPoint): void {
    if (this.config.env !== 'test' || this.config.testCrashAt !== point) return;
    // Synchronously, so the line is out before the kill (the logger may buffer).
    writeSync(2, `${JSON.stringify({ level: 'fatal', msg: 'test crash point reached: SIGKILL', point })}\n`);
    process.kill(process.pid, 'SIGKILL');
    // Nothing may run after the point, even for the instant the signal takes to arrive.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10_000);
  }
}
