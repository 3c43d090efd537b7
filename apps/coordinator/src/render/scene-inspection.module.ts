import { Module } from '@nestjs/common';
import { BlobsModule } from '../blobs/blobs.module';
import { SceneInspector } from './scene-inspector.service';

@Module({
  imports: [BlobsModule],
  providers: [SceneInspector],
  exports: [SceneInspector],
})
export class SceneInspectionModule {}
