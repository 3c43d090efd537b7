import { Args, Int, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { AccountDto } from '../accounts/dtos/account.dto';
import { Actor } from '../auth/actor';
import { CurrentActor } from '../auth/current-actor.decorator';
import { JobDto } from '../jobs/dtos/job.dto';
import { BillingService } from './billing.service';
import { BalanceDto, JobCostDto, LedgerEntryPageDto } from './dtos/billing.dto';

@Resolver(() => AccountDto)
export class AccountBalanceResolver {
  constructor(private readonly billing: BillingService) {}

  @ResolveField(() => BalanceDto)
  balance(@CurrentActor() actor: Actor, @Parent() _account: AccountDto): Promise<BalanceDto> {
    return this.billing.balanceOf(actor);
  }

  @Query(() => LedgerEntryPageDto, {
    description: 'Your ledger entries (deposits, reservations, charges, refunds), newest first.',
  })
  ledgerEntries(
    @CurrentActor() actor: Actor,
    @Args('limit', { type: () => Int, defaultValue: 50 }) limit: number,
    @Args('before', { type: () => String, nullable: true }) before?: string,
  ): Promise<LedgerEntryPageDto> {
    return this.billing.entriesOf(actor, { limit, before: before ?? undefined });
  }
}

@Resolver(() => JobDto)
export class JobCostResolver {
  constructor(private readonly billing: BillingService) {}

  /** Reached only through a job its owner could read. */
  @ResolveField(() => JobCostDto)
  cost(@Parent() job: JobDto): Promise<JobCostDto> {
    return this.billing.costOf(job.id);
  }
}
