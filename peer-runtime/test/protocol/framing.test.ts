import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../src/errors.js';
import { decodeMessage, type EncodedMessage, encodeMessage, joinParts } from '../../src/protocol/codec.js';
import {
  FRAME_START,
  FrameWriter,
  frameSizeFor,
  MAX_FRAME_SIZE,
  Reassembler,
} from '../../src/protocol/framing.js';
import type { WireMessage } from '../../src/protocol/messages.js';

function frames(message: EncodedMessage, frameSize: number): Uint8Array[] {
  const writer = new FrameWriter(message, frameSize);
  const out: Uint8Array[] = [];
  for (let f = writer.next(); f; f = writer.next()) out.push(f);
  return out;
}

const partsArb = fc.array(fc.uint8Array({ maxLength: 3000 }), { minLength: 1, maxLength: 6 });

describe('framing', () => {
  it('random payloads split into random frame sizes reassemble exactly', () => {
    fc.assert(
      fc.property(partsArb, fc.integer({ min: 16, max: 5000 }), (parts, frameSize) => {
        const encoded = { parts, byteLength: parts.reduce((n, p) => n + p.byteLength, 0) };
        const fs = frames(encoded, frameSize);
        for (const f of fs) expect(f.byteLength).toBeLessThanOrEqual(frameSize);
        const r = new Reassembler();
        const out = fs.map((f) => r.push(f));
        expect(out.slice(0, -1).every((o) => o === undefined)).toBe(true);
        expect(out.at(-1)).toEqual(joinParts(encoded));
        expect(r.pendingBytes).toBe(0);
      }),
    );
  });

  it('frames never exceed 64 KiB nor the channel maxMessageSize', () => {
    expect(frameSizeFor(262_144)).toBe(MAX_FRAME_SIZE);
    expect(frameSizeFor(16_384)).toBe(16_384);
    expect(frameSizeFor(0)).toBe(MAX_FRAME_SIZE);
    expect(frameSizeFor(undefined)).toBe(MAX_FRAME_SIZE);
    const big = { parts: [new Uint8Array(300_000)], byteLength: 300_000 };
    for (const f of frames(big, frameSizeFor(1 << 20))) expect(f.byteLength).toBeLessThanOrEqual(64 * 1024);
  });

  it('arbitrary bytes fed to the reassembler give messages or ProtocolErrors, never other exceptions', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 20 }), (garbage) => {
        const r = new Reassembler({ maxMessageBytes: 10_000 });
        for (const f of garbage) {
          try {
            const m = r.push(f);
            if (m) {
              try {
                decodeMessage(m);
              } catch (err) {
                expect(err).toBeInstanceOf(ProtocolError);
              }
            }
          } catch (err) {
            expect(err).toBeInstanceOf(ProtocolError);
          }
        }
      }),
    );
  });

  it('a start frame declaring more than the size limit is refused before anything is allocated', () => {
    const frame = new Uint8Array(10);
    frame[0] = FRAME_START;
    new DataView(frame.buffer).setUint32(1, 2 ** 32 - 1);
    const r = new Reassembler({ maxMessageBytes: 1 << 20 });
    expect(() => r.push(frame)).toThrow(ProtocolError);
    expect(r.pendingBytes).toBe(0);
  });

  it('a continuation frame overrunning the declared length is a ProtocolError naming the frame', () => {
    const r = new Reassembler();
    const start = new Uint8Array(20);
    start[0] = FRAME_START;
    new DataView(start.buffer).setUint32(1, 30);
    r.push(start);
    const error = (() => {
      try {
        r.push(new Uint8Array(50));
      } catch (e) {
        return e as ProtocolError;
      }
    })();
    expect(error).toBeInstanceOf(ProtocolError);
    expect(error?.field).toBe('frame');
  });
});

describe('codec', () => {
  const bytesArb = fc.uint8Array({ maxLength: 20_000 });

  it('messages with byte fields of any size round-trip exactly through encode and decode', () => {
    fc.assert(
      fc.property(bytesArb, fc.nat(), fc.string({ minLength: 1 }), (bytes, requestId, hash) => {
        const message: WireMessage = { type: 'result:data', requestId, hash, bytes };
        const decoded = decodeMessage(joinParts(encodeMessage(message)));
        expect(decoded).toEqual({ ...message, bytes: expect.any(Uint8Array) });
        if (decoded.type !== 'result:data') throw new Error('type');
        expect(Buffer.from(decoded.bytes).equals(Buffer.from(bytes))).toBe(true);
      }),
    );
  });

  it('large byte fields travel as attachments, not copied into the CBOR header', () => {
    const bytes = new Uint8Array(100_000).fill(7);
    const encoded = encodeMessage({ type: 'result:data', requestId: 1, hash: 'h', bytes });
    expect(encoded.parts).toContain(bytes);
    expect(encoded.parts[1]!.byteLength).toBeLessThan(100);
  });

  it('a task assignment batch with inline inputs round-trips', () => {
    const message: WireMessage = {
      type: 'task:assign',
      runId: 'run-1',
      assignments: [
        {
          functionId: 'f',
          hash: 'abc',
          attempt: 1,
          spec: {
            id: 'f',
            args: ['a', ['b', 1]],
            code: { kind: 'source', source: '(a, b) => a + b' },
            extraArgs: [1, { x: 'y' }],
          },
          inputs: [
            { producer: 'a', hash: 'ha', holders: ['p1'] },
            { producer: 'b', hash: 'hb', holders: [], inline: new Uint8Array(5000).fill(1) },
          ],
        },
      ],
    };
    const decoded = decodeMessage(joinParts(encodeMessage(message)));
    expect(decoded).toEqual(message);
  });

  it('a message with a bad field is a ProtocolError naming the field', () => {
    const bad = {
      type: 'task:result',
      runId: 'r',
      functionId: 'f',
      hash: 'h',
      attempt: -1,
      size: 1,
      durationMs: 1,
    };
    const error = (() => {
      try {
        decodeMessage(joinParts(encodeMessage(bad as unknown as WireMessage)));
      } catch (e) {
        return e as ProtocolError;
      }
    })();
    expect(error).toBeInstanceOf(ProtocolError);
    expect(error?.field).toBe('attempt');
  });

  it('an unknown message type is a ProtocolError naming the type field', () => {
    expect(() =>
      decodeMessage(joinParts(encodeMessage({ type: 'steal:secrets' } as unknown as WireMessage))),
    ).toThrow(/field 'type' must be a known message type, got "steal:secrets"/);
  });

  it('a nested field error names its full path', () => {
    const bad = {
      type: 'task:assign',
      runId: 'r',
      assignments: [
        {
          functionId: 'f',
          hash: 'h',
          attempt: 0,
          spec: { id: 'f', args: [], code: { kind: 'wasm' } },
          inputs: {},
        },
      ],
    };
    expect(() => decodeMessage(joinParts(encodeMessage(bad as unknown as WireMessage)))).toThrow(
      expect.objectContaining({ field: 'assignments[0].spec.code.kind' }),
    );
  });
});
