import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DAG_JSON_SCHEMA_PATH, dagJsonSchemaDocument, validateDag } from '@handout/peer-runtime';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { type DagBuilder, dag, type FnOptions } from '../src/builder.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');

/** The published schema, compiled by a JSON Schema validator that is not ours. */
function publishedValidator() {
  const schema = JSON.parse(readFileSync(join(root, DAG_JSON_SCHEMA_PATH), 'utf8'));
  return new Ajv2020({ allErrors: true, strict: false }).compile(schema);
}

describe('the JSON Schema of DAG JSON (docs/dag.schema.json)', () => {
  it('is the export of the definition validateDag reads with (regenerate: scripts/write-dag-schema.ts)', () => {
    expect(JSON.parse(readFileSync(join(root, DAG_JSON_SCHEMA_PATH), 'utf8'))).toEqual(
      dagJsonSchemaDocument(),
    );
  });

  it('accepts the example DAGs', async () => {
    const valid = publishedValidator();
    const pipeline = JSON.parse(readFileSync(join(root, 'examples/pipeline.json'), 'utf8'));
    expect(valid(pipeline), JSON.stringify(valid.errors)).toBe(true);
    const specs = (await import(join(root, 'examples/hello.dag.mjs'))).default as FnOptions<string>[];
    const builder = dag() as unknown as DagBuilder<string>;
    for (const spec of specs) builder.fn(spec);
    const hello = JSON.parse(JSON.stringify(builder.toJSON()));
    expect(hello.functions.length).toBeGreaterThan(5);
    expect(valid(hello), JSON.stringify(valid.errors)).toBe(true);
  });

  it('refuses what validateDag refuses for its shape: a misspelt key, a bad kind, a negative output index', () => {
    const valid = publishedValidator();
    const base = { id: 'f', args: [], code: { kind: 'source', source: '() => 1' } };
    const cases: [string, Record<string, unknown>][] = [
      ['timeout', { ...base, timeout: 5 }],
      ['code.kind', { ...base, code: { kind: 'wasm' } }],
      ['args[0]', { ...base, args: [['f', -1]] }],
      ['cost.cpus', { ...base, cost: { cpus: 1 } }],
      ['retries', { ...base, retries: 1.5 }],
    ];
    for (const [field, spec] of cases) {
      const json = { format: 'handout-dag', version: 1, functions: [spec] };
      expect(valid(json), field).toBe(false);
      expect(validateDag(json as never).map((i) => i.field)).toContain(field);
    }
  });
});
