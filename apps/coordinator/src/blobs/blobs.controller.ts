import { Controller, Get, Head, HttpCode, Param, Post, Put, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { Actor } from '../auth/actor';
import { CurrentActor } from '../auth/current-actor.decorator';
import { BlobsService } from './blobs.service';

function contentLength(req: Request): number | undefined {
  const header = req.headers['content-length'];
  return header === undefined ? undefined : Number(header);
}

/**
 * The blob HTTP API. Bodies stream straight to the store (Nest's JSON body parser ignores
 * application/octet-stream), so uploads of any size cost constant memory.
 */
@Controller('v1/blobs')
export class BlobsController {
  constructor(private readonly blobs: BlobsService) {}

  /** Upload with the digest known in advance: stored only if the bytes hash to it. */
  @Put(':sha256')
  @HttpCode(201)
  put(@CurrentActor() actor: Actor, @Param('sha256') sha256: string, @Req() req: Request) {
    return this.blobs.upload(actor, req, { expectedSha256: sha256, contentLength: contentLength(req) });
  }

  /** Upload and learn the digest from the response. */
  @Post()
  @HttpCode(201)
  post(@CurrentActor() actor: Actor, @Req() req: Request) {
    return this.blobs.upload(actor, req, { contentLength: contentLength(req) });
  }

  @Get(':sha256')
  async get(
    @CurrentActor() actor: Actor,
    @Param('sha256') sha256: string,
    @Res() res: Response,
  ): Promise<void> {
    const blob = await this.blobs.open(actor, sha256);
    res.status(200).set({
      'Content-Type': 'application/octet-stream',
      'Content-Length': String(blob.size),
      ETag: `"${sha256}"`,
      'Cache-Control': 'private, max-age=31536000, immutable',
    });
    blob.stream.pipe(res);
  }

  @Head(':sha256')
  async head(
    @CurrentActor() actor: Actor,
    @Param('sha256') sha256: string,
    @Res() res: Response,
  ): Promise<void> {
    const blob = await this.blobs.open(actor, sha256);
    blob.stream.destroy();
    res
      .status(200)
      .set({ 'Content-Length': String(blob.size), ETag: `"${sha256}"` })
      .end();
  }
}
