import { Initial1764000000000 } from './1764000000000-initial';
import { ClaimFunction1764100000000 } from './1764100000000-claim-function';
import { ProgressItems1764200000000 } from './1764200000000-progress-items';

/** Every migration, oldest first. */
export const MIGRATIONS = [Initial1764000000000, ClaimFunction1764100000000, ProgressItems1764200000000];
