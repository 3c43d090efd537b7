import { ApolloDriverConfig } from '@nestjs/apollo';
import type { Request } from 'express';
import { Actor, ANONYMOUS } from '../auth/actor';
import { AuthService } from '../auth/auth.service';
import { JobsService } from '../jobs/jobs.service';
import { ProvidersService } from '../providers/providers.service';
import { formatGraphQLError } from './format-error';
import { createLoaders, GqlContext } from './gql-context';

interface WsExtra {
  actor?: Actor;
}

/** Apollo on /graphql: queries and mutations over HTTP, subscriptions over graphql-ws on the same path. */
export function graphqlOptions(
  auth: AuthService,
  jobs: JobsService,
  providers: ProvidersService,
): ApolloDriverConfig {
  return {
    path: '/graphql',
    autoSchemaFile: true,
    sortSchema: true,
    playground: false,
    introspection: true,
    subscriptions: {
      'graphql-ws': {
        path: '/graphql',
        // The API key travels as a connection parameter; a bad one closes the socket (4403).
        onConnect: async (ctx) => {
          const params = (ctx.connectionParams ?? {}) as { authorization?: unknown; Authorization?: unknown };
          const header = params.authorization ?? params.Authorization;
          try {
            (ctx.extra as WsExtra).actor = await auth.resolve(
              typeof header === 'string' ? header : undefined,
            );
            return true;
          } catch {
            return false;
          }
        },
        // Subscriptions bypass Apollo's formatError: map their resolver errors the same way, so a
        // refused subscription says `JOB_NOT_FOUND: …` with its code, as a query would. Errors about
        // the request itself (no originalError, e.g. a missing variable) already say what is wrong.
        onNext: (_ctx, _id, _payload, _args, result) =>
          result.errors?.length
            ? {
                ...result,
                errors: result.errors.map((e) =>
                  e.originalError ? formatGraphQLError(e.toJSON(), e) : e.toJSON(),
                ),
              }
            : undefined,
      },
    },
    context: ({ req, extra }: { req?: Request & { actor?: Actor }; extra?: WsExtra }): GqlContext => ({
      req,
      actor: extra?.actor ?? req?.actor ?? ANONYMOUS,
      loaders: createLoaders(jobs, providers),
    }),
    formatError: formatGraphQLError,
  };
}
