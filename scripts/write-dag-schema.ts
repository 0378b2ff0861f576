/**
 * Writes docs/dag.schema.json, the JSON Schema of Handout's DAG JSON, from its one definition
 * (peer-runtime/src/dag/validate-spec.ts). sdk/test/dag-json-schema.test.ts fails when the file is stale.
 *
 * Run: node --conditions=source --import tsx scripts/write-dag-schema.ts
 */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DAG_JSON_SCHEMA_PATH, dagJsonSchemaDocument } from '@handout/peer-runtime';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
writeFileSync(join(root, DAG_JSON_SCHEMA_PATH), `${JSON.stringify(dagJsonSchemaDocument(), null, 2)}\n`);
console.log(`wrote ${DAG_JSON_SCHEMA_PATH}`);
