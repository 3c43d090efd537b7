import { Injectable } from '@nestjs/common';
import { AccountsService } from '../accounts/accounts.service';
import { AppError } from '../common/app-error';
import { Actor, ANONYMOUS } from './actor';
import { ProviderTokenService } from './provider-token.service';

/** Turns an `Authorization` header (or graphql-ws connection parameter) into an Actor. */
@Injectable()
export class AuthService {
  constructor(
    private readonly accounts: AccountsService,
    private readonly providerTokens: ProviderTokenService,
  ) {}

  /**
   * No header: anonymous (some operations, like createAccount, allow it). A header that does not
   * resolve is an error rather than anonymous, so a mistyped key says so instead of "sign in".
   */
  async resolve(authorization: string | undefined): Promise<Actor> {
    if (!authorization) return ANONYMOUS;
    const match = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
    if (!match) throw new AppError('UNAUTHENTICATED', 'the Authorization header must be "Bearer <api key>"');
    const token = match[1];
    const providerId = this.providerTokens.verify(token);
    if (providerId) return { kind: 'provider', providerId };
    const actor = await this.accounts.actorForApiKey(token);
    if (!actor)
      throw new AppError(
        'UNAUTHENTICATED',
        'the API key is not valid (revoked, mistyped or from another coordinator)',
      );
    return actor;
  }
}
