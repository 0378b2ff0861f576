import { describe, expect, it } from 'vitest';
import { decodeRecord, encodeRecord, RECORD_HEADER_BYTES, xxh32 } from '../../src/store/integrity.js';
import { patterned } from './contract.js';

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('xxh32', () => {
  it('matches the reference implementation on known vectors', () => {
    expect(xxh32(text(''))).toBe(0x02cc5d05);
    expect(xxh32(text('a'))).toBe(0x550d7456);
    expect(xxh32(text('abc'))).toBe(0x32d153ff);
    expect(xxh32(text('Nobody inspects the spammish repetition'))).toBe(0xe2293b2f);
  });

  it('gives the same answer for the same bytes at any alignment', () => {
    const bytes = patterned(1000, 3);
    const expected = xxh32(bytes);
    for (let offset = 1; offset < 8; offset++) {
      const padded = new Uint8Array(1000 + offset);
      padded.set(bytes, offset);
      expect(xxh32(padded.subarray(offset, offset + 1000))).toBe(expected);
    }
  });
});

describe('records', () => {
  it('round-trip a value behind an 8-byte header, returning a copy on its own aligned buffer', () => {
    const value = patterned(333, 1);
    const record = encodeRecord(value);
    expect(record.length).toBe(RECORD_HEADER_BYTES + 333);
    const fromBuffer = Buffer.concat([Buffer.alloc(3), Buffer.from(record)]).subarray(3);
    const decoded = decodeRecord(fromBuffer);
    expect(decoded).toEqual(value);
    expect(decoded!.byteOffset).toBe(0);
    expect(decoded!.buffer).not.toBe(fromBuffer.buffer);
  });

  it('reject every single-bit flip in a small record', () => {
    const record = encodeRecord(patterned(24, 2));
    for (let bit = 0; bit < record.length * 8; bit++) {
      const damaged = Uint8Array.from(record);
      damaged[bit >> 3]! ^= 1 << (bit & 7);
      expect(decodeRecord(damaged), `bit ${bit}`).toBeUndefined();
    }
  });

  it('reject records that are too short or of an unknown version', () => {
    expect(decodeRecord(new Uint8Array(7))).toBeUndefined();
    const record = encodeRecord(new Uint8Array(0));
    record[0] = 2;
    expect(decodeRecord(record)).toBeUndefined();
  });
});
