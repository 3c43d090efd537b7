import { AccountEntity } from '../accounts/account.entity';
import { ApiKeyEntity } from '../accounts/api-key.entity';
import { WalletChallengeEntity } from '../accounts/wallet-challenge.entity';
import { BlobEntity, BlobGrantEntity } from '../blobs/blob.entity';
import { AttemptEntity } from '../jobs/attempt.entity';
import { JobProviderFailureEntity } from '../jobs/job-provider-failure.entity';
import { JobEntity } from '../jobs/job.entity';
import { TaskEntity } from '../jobs/task.entity';
import { LEDGER_ENTITIES } from '../ledger/ledger.entities';
import { ModelEntity } from '../models/model.entity';
import { ProviderEntity } from '../providers/provider.entity';
import { VerificationEntity } from '../verification/verification.entity';
import { DepositEntity } from '../deposits/deposit.entity';
import { PAYOUT_ENTITIES } from '../payouts/payout.entities';

export const ENTITIES = [
  AccountEntity,
  ApiKeyEntity,
  WalletChallengeEntity,
  ProviderEntity,
  JobEntity,
  TaskEntity,
  AttemptEntity,
  JobProviderFailureEntity,
  BlobEntity,
  BlobGrantEntity,
  ModelEntity,
  VerificationEntity,
  ...LEDGER_ENTITIES,
  DepositEntity,
  ...PAYOUT_ENTITIES,
];
