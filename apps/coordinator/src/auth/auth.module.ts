import { Global, Module } from '@nestjs/common';
import { AccountsModule } from '../accounts/accounts.module';
import { AuthService } from './auth.service';
import { ProviderTokenService } from './provider-token.service';

@Global()
@Module({
  imports: [AccountsModule],
  providers: [AuthService, ProviderTokenService],
  exports: [AuthService, ProviderTokenService],
})
export class AuthModule {}
