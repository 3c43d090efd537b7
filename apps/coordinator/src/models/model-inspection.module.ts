import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { BlobsModule } from '../blobs/blobs.module';
import { ModelEntity } from './model.entity';
import { ModelInspector } from './model-inspector.service';
import { ModelsService } from './models.service';

/** Model registration and lookup; the jobs module uses it to hand models to the inference plugin. */
@Module({
  imports: [BlobsModule, TypeOrmModule.forFeature([ModelEntity])],
  providers: [ModelInspector, ModelsService],
  exports: [ModelsService],
})
export class ModelInspectionModule {}
