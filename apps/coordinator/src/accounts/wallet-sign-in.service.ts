import { Inject, Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import bs58 from 'bs58';
import { isAddress, verifyEd25519 } from '@tessera/crypto';
import { Actor, requireAccount } from '../auth/actor';
import { AppError } from '../common/app-error';
import { BillingService } from '../billing/billing.service';
import { COORDINATOR_CONFIG, CoordinatorConfig } from '../config/config';
import { AccountEntity } from './account.entity';
import { AccountsRepository } from './accounts.repository';
import { AccountsService } from './accounts.service';
import { generateApiKey } from './api-key-secret';
import { ApiKeysRepository } from './api-keys.repository';
import { WalletChallengesRepository } from './wallet-challenges.repository';
import {
  buildSignInMessage,
  parseSignInMessage,
  linkStatement,
  shortWallet,
  SIGN_IN_STATEMENT,
  signInChainId,
} from './wallet-sign-in-message';

/** How long a wallet has to sign a challenge. */
export const CHALLENGE_TTL_MS = 5 * 60 * 1000;
const MAX_MESSAGE_LENGTH = 2000;

/**
 * Sign-in with a Solana wallet: the coordinator issues a one-time message naming itself, the
 * wallet and a nonce; the wallet signs it (ed25519 over the UTF-8 bytes, as `signMessage` does);
 * the coordinator checks that it issued exactly that text to that wallet, that it has not expired
 * or been used, and the signature; then it hands out a new API key of the wallet's account, opening
 * one on the wallet's first sign-in.
 */
@Injectable()
export class WalletSignInService {
  constructor(
    private readonly challenges: WalletChallengesRepository,
    private readonly accounts: AccountsRepository,
    private readonly keys: ApiKeysRepository,
    private readonly accountsService: AccountsService,
    private readonly billing: BillingService,
    @Inject(COORDINATOR_CONFIG) private readonly config: CoordinatorConfig,
  ) {}

  /**
   * A message for `wallet` to sign: to sign in, or with `link` to link the wallet to the caller's
   * account (which then signs in with it). `requestOrigin` (scheme://host of the request) names the
   * coordinator only when no TESSERA_PUBLIC_URL is configured: behind a proxy, set it, so that the
   * domain a wallet shows cannot be chosen by whoever sends the request.
   */
  async challenge(
    actor: Actor,
    wallet: string,
    requestOrigin: string,
    now = new Date(),
    purpose: 'sign_in' | 'link' = 'sign_in',
  ): Promise<{ wallet: string; message: string; nonce: string; expiresAt: Date }> {
    requireWallet(wallet);
    const accountId = purpose === 'link' ? await this.linkable(actor, wallet) : null;
    const origin = new URL(this.config.publicUrl ?? requestOrigin);
    const nonce = randomBytes(16).toString('hex');
    const expiresAt = new Date(now.getTime() + CHALLENGE_TTL_MS);
    const message = buildSignInMessage({
      domain: origin.host,
      wallet,
      statement: accountId ? linkStatement(accountId) : SIGN_IN_STATEMENT,
      uri: origin.origin,
      chainId: signInChainId(this.config.chain.cluster),
      nonce,
      issuedAt: now,
      expiresAt,
    });
    await this.challenges.insert({ nonce, wallet, message, issuedAt: now, expiresAt, accountId });
    return { wallet, message, nonce, expiresAt };
  }

  /**
   * Links a wallet to the caller's account with its signature of a `link` challenge, so the
   * account can sign in with it. One wallet per account, one account per wallet.
   */
  async link(
    actor: Actor,
    input: { wallet: string; message: string; signature: string },
    now = new Date(),
  ): Promise<AccountEntity> {
    const accountId = await this.linkable(actor, input.wallet);
    await this.verify(input, accountId, now);
    const linked = await this.accounts.linkWallet(accountId, input.wallet);
    if (linked === 'taken') throw walletTaken(input.wallet);
    if (linked === 'has_wallet') throw accountHasWallet();
    return linked;
  }

  /** Checks a signed challenge and returns a new API key of the wallet's account. */
  async signIn(
    _actor: Actor,
    input: { wallet: string; message: string; signature: string },
    now = new Date(),
  ): Promise<{ account: AccountEntity; apiKey: string; created: boolean }> {
    const { wallet } = input;
    const existing = await this.verify(input, null, now, async () => {
      const found = await this.accounts.findByWallet(wallet);
      if (!found) this.accountsService.requireOpenSignup();
      return found;
    });
    const { account, created } = existing
      ? { account: existing, created: false }
      : await this.accounts.findOrCreateForWallet(wallet, shortWallet(wallet));
    if (created) await this.billing.signupCredit(account.id);
    const key = generateApiKey();
    // A session: signing out revokes it, so sign-ins do not leave live keys behind.
    await this.keys.insert(
      account.id,
      key,
      `wallet sign-in ${now.toISOString().slice(0, 10)}`,
      undefined,
      true,
    );
    return { account, apiKey: key.secret, created };
  }

  /**
   * The checks every signed challenge passes, in order: a wallet address and a 64-byte signature;
   * a message this coordinator issued, exactly, to this wallet, for this purpose (`accountId`: the
   * account a link challenge names; null to sign in); not used, not expired; the wallet's ed25519
   * signature. `before` runs last, before the message is used up (so a refused sign-in leaves it
   * usable); then the nonce is consumed, once: of two requests with one signature, one wins.
   */
  private async verify<T>(
    input: { wallet: string; message: string; signature: string },
    accountId: string | null,
    now: Date,
    before?: () => Promise<T>,
  ): Promise<T | undefined> {
    const { wallet, message } = input;
    requireWallet(wallet);
    const signature = decodeSignature(input.signature);
    const nonce = message.length <= MAX_MESSAGE_LENGTH ? parseSignInMessage(message)?.nonce : undefined;
    const challenge = nonce ? await this.challenges.findByNonce(nonce) : null;
    if (!challenge) {
      throw new AppError(
        'WALLET_CHALLENGE_NOT_FOUND',
        'this coordinator did not issue that message (or forgot it long after it expired); ask walletChallenge for a new one',
        'message',
      );
    }
    if (challenge.message !== message || challenge.wallet !== wallet || challenge.accountId !== accountId) {
      throw new AppError(
        'WALLET_CHALLENGE_MISMATCH',
        challenge.wallet !== wallet
          ? 'that message was issued to another wallet; ask walletChallenge for one for this wallet'
          : challenge.message !== message
            ? 'the message differs from the one issued; sign it exactly as walletChallenge returned it'
            : challenge.accountId === null
              ? 'that message was issued to sign in, not to link a wallet; ask walletChallenge with link: true'
              : accountId === null
                ? 'that message was issued to link a wallet to an account, not to sign in; ask walletChallenge for a sign-in message'
                : 'that message was issued to link the wallet to another account',
        'message',
      );
    }
    if (challenge.usedAt) {
      throw new AppError(
        'WALLET_CHALLENGE_USED',
        'that message was used to sign in already; ask for a new one',
      );
    }
    if (challenge.expiresAt.getTime() <= now.getTime()) {
      throw new AppError(
        'WALLET_CHALLENGE_EXPIRED',
        `that message expired at ${challenge.expiresAt.toISOString()} (messages last ${CHALLENGE_TTL_MS / 60_000} minutes); ask for a new one`,
      );
    }
    if (!verifyEd25519(wallet, Buffer.from(message, 'utf8'), signature)) {
      throw new AppError(
        'WALLET_SIGNATURE_INVALID',
        `the signature is not ${shortWallet(wallet)}'s signature of this message`,
        'signature',
      );
    }
    const result = await before?.();
    // Marked used before anything is handed out: of two requests with one signature, one wins.
    if (!(await this.challenges.consume(challenge.nonce, now))) {
      throw new AppError(
        'WALLET_CHALLENGE_USED',
        'that message was used to sign in already; ask for a new one',
      );
    }
    return result;
  }

  /** The caller's account id, if it may link `wallet`: it has no wallet, and nobody has that one. */
  private async linkable(actor: Actor, wallet: string): Promise<string> {
    const accountId = requireAccount(actor);
    requireWallet(wallet);
    const account = await this.accounts.findById(accountId);
    if (account?.wallet) throw accountHasWallet();
    const owner = await this.accounts.findByWallet(wallet);
    if (owner) throw walletTaken(wallet);
    return accountId;
  }
}

function walletTaken(wallet: string): AppError {
  return new AppError(
    'WALLET_TAKEN',
    `wallet ${shortWallet(wallet)} already signs in to another account; sign in with it there`,
    'wallet',
  );
}

function accountHasWallet(): AppError {
  return new AppError('ACCOUNT_HAS_WALLET', 'this account already has a wallet linked; it takes one');
}

function requireWallet(wallet: string): void {
  if (!isAddress(wallet)) {
    throw new AppError(
      'BAD_INPUT',
      'wallet must be a Solana address: a base58 ed25519 public key (32 bytes), e.g. as Phantom shows it',
      'wallet',
    );
  }
}

function decodeSignature(text: string): Uint8Array {
  let bytes: Uint8Array | undefined;
  try {
    bytes = text.length <= 100 ? bs58.decode(text) : undefined;
  } catch {
    bytes = undefined;
  }
  if (bytes?.length !== 64) {
    throw new AppError(
      'BAD_INPUT',
      'signature must be a base58 ed25519 signature (64 bytes) of the message',
      'signature',
    );
  }
  return bytes;
}
