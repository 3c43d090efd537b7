// @solana/spl-token 0.4 declares `"type": "module"` and ships one set of ESM type declarations for
// its CommonJS and ESM builds, so TypeScript (module node16) refuses a plain import of it from our
// CommonJS code although `require` loads its CommonJS build fine. This module is the one place that
// bridges the two: the types come through a type-only import, the value through `require`.
import type * as SplToken from '@solana/spl-token' with { 'resolution-mode': 'import' };

/** The whole @solana/spl-token API, typed; `splToken.createTransferCheckedInstruction(...)`. */
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const splToken = require('@solana/spl-token') as typeof SplToken;
