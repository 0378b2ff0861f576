import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../src/errors.js';
import { decodeMessage, type EncodedMessage, encodeMessage, joinParts } from '../../src/protocol/codec.js';
import {
  FRAME_MORE,
  FRAME_OPEN,
  FrameWriter,
  frameSizeFor,
  INTERLEAVE_BYTES,
  MAX_FRAME_SIZE,
  MAX_STREAMS,
  Reassembler,
} from '../../src/protocol/framing.js';
import type { WireMessage } from '../../src/protocol/messages.js';

function frames(message: EncodedMessage, frameSize: number, stream = 0): Uint8Array[] {
  const writer = new FrameWriter(message, frameSize, stream);
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
    frame[0] = FRAME_OPEN;
    new DataView(frame.buffer).setUint32(3, 2 ** 32 - 1);
    const r = new Reassembler({ maxMessageBytes: 1 << 20 });
    expect(() => r.push(frame)).toThrow(ProtocolError);
    expect(r.pendingBytes).toBe(0);
  });

  it('a continuation frame overrunning the declared length is a ProtocolError naming the frame', () => {
    const r = new Reassembler();
    const start = new Uint8Array(20);
    start[0] = FRAME_OPEN;
    new DataView(start.buffer).setUint32(3, 30);
    r.push(start);
    const more = new Uint8Array(50);
    more[0] = FRAME_MORE;
    const error = (() => {
      try {
        r.push(more);
      } catch (e) {
        return e as ProtocolError;
      }
    })();
    expect(error).toBeInstanceOf(ProtocolError);
    expect(error?.field).toBe('frame');
    expect(error?.message).toMatch(/stream 0/);
  });

  it('frames of several messages, interleaved in any order, reassemble each message exactly', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ minLength: 1, maxLength: 4000 }), { minLength: 1, maxLength: MAX_STREAMS }),
        fc.integer({ min: 16, max: 700 }),
        fc.array(fc.nat(), { maxLength: 400 }),
        (payloads, frameSize, picks) => {
          const queues = payloads.map((p, i) =>
            frames({ parts: [p], byteLength: p.byteLength }, frameSize, i),
          );
          const r = new Reassembler();
          const got: Uint8Array[] = [];
          let k = 0;
          while (queues.some((q) => q.length > 0)) {
            const open = queues.filter((q) => q.length > 0);
            const frame = open[(picks[k++] ?? 0) % open.length]!.shift()!;
            const m = r.push(frame);
            if (m) got.push(m);
          }
          expect(got.map((m) => Buffer.from(m).toString('hex')).sort()).toEqual(
            payloads.map((p) => Buffer.from(p).toString('hex')).sort(),
          );
          expect(r.pendingBytes).toBe(0);
        },
      ),
    );
  });

  it('a whole-frame message between the frames of a large one comes out first', () => {
    const big = { parts: [new Uint8Array(5000).fill(3)], byteLength: 5000 };
    const small = { parts: [new Uint8Array([1, 2, 3])], byteLength: 3 };
    const [first, ...rest] = frames(big, 1024, 7);
    const r = new Reassembler();
    expect(r.push(first!)).toBeUndefined();
    expect(r.push(frames(small, 1024)[0]!)).toEqual(new Uint8Array([1, 2, 3]));
    const last = rest.map((f) => r.push(f)).at(-1);
    expect(last?.byteLength).toBe(5000);
  });

  const openFrame = (stream: number, total: number): Uint8Array => {
    const f = new Uint8Array(16);
    f[0] = FRAME_OPEN;
    const v = new DataView(f.buffer);
    v.setUint16(1, stream);
    v.setUint32(3, total);
    return f;
  };
  const errorOf = (fn: () => unknown): ProtocolError | undefined => {
    try {
      fn();
    } catch (e) {
      return e as ProtocolError;
    }
    return undefined;
  };

  it('refuses a continuation for a stream that is not open, and a stream opened twice', () => {
    const r = new Reassembler();
    const more = new Uint8Array([FRAME_MORE, 0, 5, 1, 2]);
    expect(errorOf(() => r.push(more))?.message).toMatch(/stream 5, which is not open/);
    r.push(openFrame(5, 100));
    expect(errorOf(() => r.push(openFrame(5, 100)))?.message).toMatch(/stream 5 opened while/);
  });

  it(`bounds what a stranger can make it hold: at most ${MAX_STREAMS} streams, all but the largest within the interleave budget`, () => {
    const r = new Reassembler();
    for (let s = 0; s < MAX_STREAMS; s++) r.push(openFrame(s, 1000));
    const tooMany = errorOf(() => r.push(openFrame(MAX_STREAMS, 1000)));
    expect(tooMany).toBeInstanceOf(ProtocolError);
    expect(tooMany?.field).toBe('frame');
    expect(tooMany?.message).toMatch(new RegExp(`stream ${MAX_STREAMS} of 1000 bytes`));

    // One maximal message is fine; a second message as large as the budget allows too; one byte more is not.
    const q = new Reassembler();
    q.push(openFrame(0, 200 * 1024 * 1024));
    q.push(openFrame(1, INTERLEAVE_BYTES));
    expect(errorOf(() => q.push(openFrame(2, 100)))?.message).toMatch(/one more message in flight/);
    expect(q.pendingBytes).toBe(200 * 1024 * 1024 + INTERLEAVE_BYTES);
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
