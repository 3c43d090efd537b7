import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { GqlExecutionContext } from '@nestjs/graphql';
import { Actor, ANONYMOUS } from './actor';

/** The caller, resolved once per request (HTTP) or connection (subscriptions) into the GraphQL context. */
export const CurrentActor = createParamDecorator((_data: unknown, context: ExecutionContext): Actor => {
  if (context.getType<string>() === 'graphql') {
    return (GqlExecutionContext.create(context).getContext<{ actor?: Actor }>().actor ?? ANONYMOUS) as Actor;
  }
  return (context.switchToHttp().getRequest<{ actor?: Actor }>().actor ?? ANONYMOUS) as Actor;
});
