import { Module } from '@nestjs/common';
import { BillingModule } from '../billing/billing.module';
import { AccountsRepository } from './accounts.repository';
import { AccountsResolver } from './accounts.resolver';
import { AccountsService } from './accounts.service';

@Module({
  imports: [BillingModule],
  providers: [AccountsRepository, AccountsService, AccountsResolver],
  exports: [AccountsService],
})
export class AccountsModule {}
