import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * A sign-in message issued to a wallet, kept until it is used or has expired. The nonce is the key:
 * the signed message names it, and marking it used is what makes every signature good for one
 * sign-in only.
 */
@Entity('wallet_challenge')
export class WalletChallengeEntity {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  nonce: string;

  @Column({ type: 'varchar', length: 44 })
  wallet: string;

  /** The exact text the wallet must sign (UTF-8). */
  @Column({ type: 'text' })
  message: string;

  @Column({ type: 'timestamptz' })
  issuedAt: Date;

  @Index('wallet_challenge_expires_idx')
  @Column({ type: 'timestamptz' })
  expiresAt: Date;

  @Column({ type: 'timestamptz', nullable: true })
  usedAt: Date | null;

  /** Set when the message links the wallet to this account (linkWallet); null for a sign-in. */
  @Column({ type: 'uuid', nullable: true })
  accountId: string | null;
}
