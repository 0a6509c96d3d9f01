import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { JSON_SCHEMA_FILE, renderJsonSchema } from '../src/json-schema';

const target = join(__dirname, '..', '..', '..', JSON_SCHEMA_FILE);
writeFileSync(target, renderJsonSchema());
process.stdout.write(`wrote ${target}\n`);
