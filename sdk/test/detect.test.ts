import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { dag } from '../src/builder.js';
import { detectDagFormat, parseDagText, UnknownDagFormatError } from '../src/importers/detect.js';
import { parseStg } from '../src/importers/stg.js';
import { parseWfFormat } from '../src/importers/wfformat.js';

const fixture = (path: string) => readFileSync(new URL(`./fixtures/${path}`, import.meta.url), 'utf8');
const handoutJson = JSON.stringify(
  dag()
    .fn({ id: 'a', code: () => 1 })
    .build()
    .toJSON(),
);

describe('parseDagText', () => {
  it('reads STG text by content, with the STG options it is given', () => {
    const text = fixture('stg/sample00.stg');
    const parsed = parseDagText(text, { stg: { scaleMs: 2 } });
    expect(parsed.format).toBe('stg');
    expect(parsed.dag.toJSON()).toEqual(parseStg(text, { scaleMs: 2 }).toJSON());
  });

  it('reads WfFormat JSON by its fields, with the WfFormat options it is given', () => {
    const text = fixture('wfinstances/helloworld-forkjoin-10-chameleon.json');
    const parsed = parseDagText(text, { name: 'flow.json', wfformat: { scale: 0.01 } });
    expect(parsed.format).toBe('wfformat');
    expect(parsed.dag.toJSON()).toEqual(parseWfFormat(JSON.parse(text), { scale: 0.01 }).toJSON());
  });

  it('reads Handout JSON through Dag.fromJSON', () => {
    const parsed = parseDagText(handoutJson, { name: 'dag.json' });
    expect(parsed.format).toBe('handout-json');
    expect(parsed.dag.toJSON()).toEqual(JSON.parse(handoutJson));
  });

  it('lets the .stg extension decide even when the first line is not a task count', () => {
    expect(detectDagFormat('# comment only\n', { name: 'C:\\graphs\\x.STG' })).toEqual({ format: 'stg' });
  });

  it('rejects text of no known format with an UnknownDagFormatError naming the file', () => {
    const attempt = () => parseDagText('hello world', { name: 'notes.txt' });
    expect(attempt).toThrow(UnknownDagFormatError);
    expect(attempt).toThrow(/notes\.txt/);
  });
});
