import { Initial1764000000000 } from './1764000000000-initial';
import { ClaimFunction1764100000000 } from './1764100000000-claim-function';

/** Every migration, oldest first. */
export const MIGRATIONS = [Initial1764000000000, ClaimFunction1764100000000];
