import { Controller, Get, Param, Res } from '@nestjs/common';
import type { Response } from 'express';
import { Actor } from '../auth/actor';
import { CurrentActor } from '../auth/current-actor.decorator';
import { JobsService } from './jobs.service';

@Controller('v1/jobs')
export class JobsController {
  constructor(private readonly jobs: JobsService) {}

  /** A zip of the job's outputs accepted so far (a render's frames), streamed as it is built. */
  @Get(':id/archive.zip')
  async archive(@CurrentActor() actor: Actor, @Param('id') id: string, @Res() res: Response): Promise<void> {
    const { name, zip } = await this.jobs.archive(actor, id);
    res.status(200).set({
      'Content-Type': 'application/zip',
      'Content-Disposition': `attachment; filename="${name}.zip"`,
    });
    zip.pipe(res);
  }

  /** An inference batch's outputs: one JSON line per row, in input order (once the batch completes). */
  @Get(':id/outputs.jsonl')
  async outputs(@CurrentActor() actor: Actor, @Param('id') id: string, @Res() res: Response): Promise<void> {
    const { name, stream } = await this.jobs.rowOutputs(actor, id);
    res.status(200).set({
      'Content-Type': 'application/x-ndjson',
      'Content-Disposition': `attachment; filename="${name}.jsonl"`,
    });
    stream.on('error', (error) => res.destroy(error));
    stream.pipe(res);
  }
}
