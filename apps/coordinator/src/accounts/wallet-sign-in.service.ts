import { Inject, Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import bs58 from 'bs58';
import { isAddress, verifyEd25519 } from '@tessera/crypto';
import { Actor } from '../auth/actor';
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
   * A message for `wallet` to sign. `requestOrigin` (scheme://host of the request) names the
   * coordinator only when no TESSERA_PUBLIC_URL is configured: behind a proxy, set it, so that the
   * domain a wallet shows cannot be chosen by whoever sends the request.
   */
  async challenge(
    _actor: Actor,
    wallet: string,
    requestOrigin: string,
    now = new Date(),
  ): Promise<{ wallet: string; message: string; nonce: string; expiresAt: Date }> {
    requireWallet(wallet);
    const origin = new URL(this.config.publicUrl ?? requestOrigin);
    const nonce = randomBytes(16).toString('hex');
    const expiresAt = new Date(now.getTime() + CHALLENGE_TTL_MS);
    const message = buildSignInMessage({
      domain: origin.host,
      wallet,
      statement: SIGN_IN_STATEMENT,
      uri: origin.origin,
      chainId: signInChainId(this.config.chain.cluster),
      nonce,
      issuedAt: now,
      expiresAt,
    });
    await this.challenges.insert({ nonce, wallet, message, issuedAt: now, expiresAt });
    return { wallet, message, nonce, expiresAt };
  }

  /** Checks a signed challenge and returns a new API key of the wallet's account. */
  async signIn(
    _actor: Actor,
    input: { wallet: string; message: string; signature: string },
    now = new Date(),
  ): Promise<{ account: AccountEntity; apiKey: string; created: boolean }> {
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
    if (challenge.message !== message || challenge.wallet !== wallet) {
      throw new AppError(
        'WALLET_CHALLENGE_MISMATCH',
        challenge.wallet !== wallet
          ? 'that message was issued to another wallet; ask walletChallenge for one for this wallet'
          : 'the message differs from the one issued; sign it exactly as walletChallenge returned it',
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
    const existing = await this.accounts.findByWallet(wallet);
    if (!existing) this.accountsService.requireOpenSignup();
    // Marked used before anything is handed out: of two requests with one signature, one wins.
    if (!(await this.challenges.consume(challenge.nonce, now))) {
      throw new AppError(
        'WALLET_CHALLENGE_USED',
        'that message was used to sign in already; ask for a new one',
      );
    }
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
