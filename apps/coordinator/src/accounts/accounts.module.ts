import { Module } from '@nestjs/common';
import { BillingModule } from '../billing/billing.module';
import { AccountsRepository } from './accounts.repository';
import { AccountsResolver } from './accounts.resolver';
import { AccountsService } from './accounts.service';
import { ApiKeysRepository } from './api-keys.repository';
import { ApiKeysResolver } from './api-keys.resolver';
import { ApiKeysService } from './api-keys.service';
import { WalletChallengesRepository } from './wallet-challenges.repository';
import { WalletSignInResolver } from './wallet-sign-in.resolver';
import { WalletSignInService } from './wallet-sign-in.service';

@Module({
  imports: [BillingModule],
  providers: [
    AccountsRepository,
    ApiKeysRepository,
    WalletChallengesRepository,
    AccountsService,
    ApiKeysService,
    WalletSignInService,
    AccountsResolver,
    ApiKeysResolver,
    WalletSignInResolver,
  ],
  exports: [AccountsService],
})
export class AccountsModule {}
