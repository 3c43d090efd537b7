import { Module } from '@nestjs/common';
import { COORDINATOR_CONFIG, CoordinatorConfig } from '../config/config';
import { BLOB_STORE } from './blob-store';
import { BlobsController } from './blobs.controller';
import { BlobsRepository } from './blobs.repository';
import { BlobsResolver } from './blobs.resolver';
import { BlobsService } from './blobs.service';
import { LocalBlobStore } from './local-blob-store';

@Module({
  controllers: [BlobsController],
  providers: [
    {
      provide: BLOB_STORE,
      inject: [COORDINATOR_CONFIG],
      useFactory: (c: CoordinatorConfig) => new LocalBlobStore(c.blobs.dir),
    },
    BlobsRepository,
    BlobsService,
    BlobsResolver,
  ],
  exports: [BlobsService, BlobsRepository, BLOB_STORE],
})
export class BlobsModule {}
