import { Module } from '@nestjs/common';
import { LedgerModule } from '../ledger/ledger.module';
import { DepositsRepository } from './deposits.repository';
import { ChainDepositMemoResolver, DepositsResolver } from './deposits.resolver';
import { DepositsService } from './deposits.service';

/** Customer deposits verified on chain and credited once (docs/payments.md). */
@Module({
  imports: [LedgerModule],
  providers: [DepositsRepository, DepositsService, DepositsResolver, ChainDepositMemoResolver],
  exports: [DepositsService],
})
export class DepositsModule {}
