import { Initial1764000000000 } from './1764000000000-initial';
import { ClaimFunction1764100000000 } from './1764100000000-claim-function';
import { ProgressItems1764200000000 } from './1764200000000-progress-items';
import { Models1764300000000 } from './1764300000000-models';
import { BlobAffinity1764400000000 } from './1764400000000-blob-affinity';
import { Commitments1764500000000 } from './1764500000000-commitments';
import { Verification1764600000000 } from './1764600000000-verification';
import { CheckPay1764900000000 } from './1764900000000-check-pay';
import { Ledger1764700000000 } from './1764700000000-ledger';
import { Payments1764850000000 } from './1764850000000-payments';
import { ApiKeysAndWallets1764950000000 } from './1764950000000-api-keys-and-wallets';
import { MarketStats1765000000000 } from './1765000000000-market-stats';

/** Every migration, oldest first. */
export const MIGRATIONS = [
  Initial1764000000000,
  ClaimFunction1764100000000,
  ProgressItems1764200000000,
  Models1764300000000,
  BlobAffinity1764400000000,
  Commitments1764500000000,
  Verification1764600000000,
  Ledger1764700000000,
  Payments1764850000000,
  CheckPay1764900000000,
  ApiKeysAndWallets1764950000000,
  MarketStats1765000000000,
];
