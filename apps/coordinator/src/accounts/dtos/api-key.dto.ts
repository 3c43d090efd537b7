import { Field, ID, ObjectType } from '@nestjs/graphql';

@ObjectType('ApiKey', {
  description: 'An API key of your account; its secret is shown only when it is made.',
})
export class ApiKeyDto {
  @Field(() => ID)
  id: string;

  @Field()
  label: string;

  @Field({ description: 'The first characters of the key (`tsk_…`), to tell keys apart.' })
  prefix: string;

  @Field()
  createdAt: Date;

  @Field(() => Date, {
    nullable: true,
    description: 'When the key last authenticated a request (to the minute); null if never.',
  })
  lastUsedAt: Date | null;

  @Field(() => Date, { nullable: true, description: 'Set once revoked: the key no longer works.' })
  revokedAt: Date | null;

  @Field({ description: 'True for the key this request was made with.' })
  current: boolean;

  @Field({ description: 'Handed out by a sign-in (a wallet): signOut revokes it.' })
  session: boolean;
}

@ObjectType()
export class CreateApiKeyPayload {
  @Field(() => ApiKeyDto)
  key: ApiKeyDto;

  @Field({ description: 'The secret: send it as "Authorization: Bearer <key>". Shown only this once.' })
  apiKey: string;
}
