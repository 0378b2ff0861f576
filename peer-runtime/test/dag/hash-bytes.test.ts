import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalStringify } from '../../src/dag/canonical.js';
import { Utf8Sink, writeCanonical } from '../../src/dag/canonical-utf8.js';
import { digestHex, sha256Into } from '../../src/dag/sha256.js';
import { writeUtf8 } from '../../src/dag/utf8.js';

const out = new Int32Array(8);
const hexOf = (bytes: Uint8Array): string => {
  sha256Into(bytes, bytes.length, out, 0);
  return digestHex(out, 0);
};
const nodeSha = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

describe('sha256Into', () => {
  it('matches node:crypto for every length across the first block boundaries', () => {
    for (let length = 0; length <= 200; length++) {
      const bytes = Uint8Array.from({ length }, (_, i) => (i * 31 + length * 7) & 255);
      expect(hexOf(bytes)).toBe(nodeSha(bytes));
    }
  });

  it('matches node:crypto for random messages, including long ones', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), (bytes) => {
        expect(hexOf(bytes)).toBe(nodeSha(bytes));
      }),
      { numRuns: 200 },
    );
  });
});

describe('writeUtf8', () => {
  const encoder = new TextEncoder();
  const codeUnits = fc
    .array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 400 })
    .map((units) => String.fromCharCode(...units));

  it('writes what TextEncoder writes, lone surrogates included', () => {
    fc.assert(
      fc.property(fc.oneof(codeUnits, fc.string({ unit: 'grapheme' })), (text) => {
        const bytes = new Uint8Array(text.length * 3 + 2);
        const end = writeUtf8(text, bytes, 2);
        expect(bytes.subarray(2, end)).toEqual(encoder.encode(text));
      }),
      { numRuns: 300 },
    );
  });
});

describe('writeCanonical', () => {
  const encoder = new TextEncoder();
  const written = (value: unknown): Uint8Array | undefined => {
    const sink = new Utf8Sink();
    return writeCanonical(value, sink) ? sink.bytes.slice(0, sink.length) : undefined;
  };

  it('writes the UTF-8 of canonicalStringify for any JSON value without $ keys', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        fc.pre(!JSON.stringify(value).includes('"$'));
        expect(written(value)).toEqual(encoder.encode(canonicalStringify(value)));
      }),
      { numRuns: 400 },
    );
  });

  it('declines what only the general serializer handles, rather than writing it differently', () => {
    for (const value of [
      new Uint8Array([1]),
      new Date(0),
      new Map(),
      { $tag: 1 },
      [undefined],
      1n,
      Number.NaN,
      () => 1,
    ]) {
      expect(written(value)).toBeUndefined();
    }
    expect(written({ a: undefined, b: -0, c: 1.5e300, d: 'é"\\\n' })).toEqual(
      encoder.encode(canonicalStringify({ a: undefined, b: -0, c: 1.5e300, d: 'é"\\\n' })),
    );
  });
});
