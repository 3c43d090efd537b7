import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateSchemaSdl } from './graphql/schema-file';

/** `npm run schema`: regenerates apps/coordinator/schema.gql. */
generateSchemaSdl()
  .then((sdl) => {
    const path = join(__dirname, '../../../../apps/coordinator/schema.gql');
    writeFileSync(path, sdl);
    process.stdout.write(`wrote ${path}\n`);
  })
  .catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  });
