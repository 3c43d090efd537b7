import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { DepositEntity } from './deposit.entity';

export type NewDeposit = Pick<
  DepositEntity,
  'signature' | 'accountId' | 'amount' | 'wallet' | 'slot' | 'journalId'
>;

@Injectable()
export class DepositsRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  findBySignature(signature: string): Promise<DepositEntity | null> {
    return this.db.getRepository(DepositEntity).findOneBy({ signature });
  }

  /** Records a credited deposit once per signature; returns the row that holds the signature. */
  async recordOnce(deposit: NewDeposit): Promise<DepositEntity> {
    await this.db
      .createQueryBuilder()
      .insert()
      .into(DepositEntity)
      .values(deposit)
      .orIgnore() // ON CONFLICT DO NOTHING: a concurrent confirm of the same signature got there first
      .execute();
    return (await this.findBySignature(deposit.signature)) as DepositEntity;
  }

  /** An account's deposits, newest first. */
  listByAccount(accountId: string, limit: number): Promise<DepositEntity[]> {
    return this.db
      .getRepository(DepositEntity)
      .find({ where: { accountId }, order: { createdAt: 'DESC' }, take: limit });
  }
}
