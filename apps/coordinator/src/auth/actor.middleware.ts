import { Injectable, NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { AppError } from '../common/app-error';
import { Actor } from './actor';
import { AuthService } from './auth.service';

/** Resolves the caller once per HTTP request into `req.actor`, for REST and GraphQL alike. */
@Injectable()
export class ActorMiddleware implements NestMiddleware {
  constructor(private readonly auth: AuthService) {}

  async use(req: Request & { actor?: Actor }, res: Response, next: NextFunction): Promise<void> {
    try {
      req.actor = await this.auth.resolve(req.headers.authorization);
      next();
    } catch (error) {
      if (!(error instanceof AppError)) return next(error);
      // originalUrl: `path` is relative to where Nest mounted this middleware ("/" here).
      const body = req.originalUrl.startsWith('/graphql')
        ? { errors: [{ message: `${error.code}: ${error.message}`, extensions: { code: error.code } }] }
        : { error: { code: error.code, message: error.message } };
      res.status(401).json(body);
    }
  }
}
