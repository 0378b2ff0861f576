import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../src/errors.js';
import { decodeMessage, encodeMessage, joinParts } from '../../src/protocol/codec.js';
import { MAX_STATUS_LINKS } from '../../src/protocol/messages.js';
import { validateMessage } from '../../src/protocol/messages-validate.js';

const status = (links: unknown): Record<string, unknown> => ({
  type: 'peer:status',
  running: 0,
  slots: 2,
  paused: false,
  links,
});

/** The field named by the ProtocolError `value` is refused with. */
function refusedField(value: unknown): string | undefined {
  try {
    validateMessage(value);
  } catch (error) {
    expect(error).toBeInstanceOf(ProtocolError);
    return (error as ProtocolError).field;
  }
  throw new Error('the message was accepted');
}

describe('peer:status links', () => {
  it('a status with measured links survives the codec and keeps only the protocol fields', () => {
    const sent = status([
      { peer: 'p2', rttMs: 3.5, bytesPerSecond: 2_000_000 },
      { peer: 'p3', rttMs: 0 },
      { peer: 'p4', bytesPerSecond: 1, extra: 'dropped' },
    ]);
    const received = validateMessage(decodeMessage(joinParts(encodeMessage(sent as never))));
    expect(received).toEqual({
      type: 'peer:status',
      running: 0,
      slots: 2,
      paused: false,
      links: [
        { peer: 'p2', rttMs: 3.5, bytesPerSecond: 2_000_000 },
        { peer: 'p3', rttMs: 0 },
        { peer: 'p4', bytesPerSecond: 1 },
      ],
    });
  });

  it('a status without links has no links field', () => {
    const { links: _, ...bare } = status(undefined);
    expect(validateMessage(bare)).not.toHaveProperty('links');
  });

  it('an invalid links field is refused with an error naming the field at fault', () => {
    expect(refusedField(status('p2'))).toBe('links');
    expect(refusedField(status([{ peer: 'p2' }, 'p3']))).toBe('links[1]');
    expect(refusedField(status([{ peer: '' }]))).toBe('links[0].peer');
    expect(refusedField(status([{ rttMs: 1 }]))).toBe('links[0].peer');
    expect(refusedField(status([{ peer: 'p2', rttMs: -1 }]))).toBe('links[0].rttMs');
    expect(refusedField(status([{ peer: 'p2', rttMs: Number.NaN }]))).toBe('links[0].rttMs');
    expect(refusedField(status([{ peer: 'p2', rttMs: '5' }]))).toBe('links[0].rttMs');
    expect(refusedField(status([{ peer: 'p2', bytesPerSecond: 0 }]))).toBe('links[0].bytesPerSecond');
    expect(refusedField(status([{ peer: 'p2', bytesPerSecond: Number.POSITIVE_INFINITY }]))).toBe(
      'links[0].bytesPerSecond',
    );
    const tooMany = Array.from({ length: MAX_STATUS_LINKS + 1 }, (_, i) => ({ peer: `p${i}`, rttMs: 1 }));
    expect(refusedField(status(tooMany))).toBe('links');
  });

  it('a bad link inside a batch is refused too, named by its full path', () => {
    const batch = { type: 'batch', messages: [status([{ peer: 'p2', rttMs: -3 }])] };
    expect(refusedField(batch)).toBe('messages[0].links[0].rttMs');
    try {
      validateMessage(batch);
    } catch (error) {
      expect((error as Error).message).toContain('>= 0, got -3');
    }
  });
});

describe("an attempt's fetchedFrom figures", () => {
  const failed = (fetchedFrom: unknown): Record<string, unknown> => ({
    type: 'task:failed',
    runId: 'run-1',
    functionId: 'g',
    hash: 'h-g',
    attempt: 1,
    reason: 'threw',
    message: 'boom',
    fetchedFrom,
  });

  it("keep the fetching peer's round trip and bandwidth for each holder, and refuse figures out of range", () => {
    const sent = failed([
      { peer: 'p1', link: 'host/udp', rttMs: 2.5, bytesPerSecond: 3e6 },
      { peer: 'p2', link: 'relay/udp via tcp' },
    ]);
    const received = validateMessage(decodeMessage(joinParts(encodeMessage(sent as never))));
    expect((received as { fetchedFrom?: unknown }).fetchedFrom).toEqual([
      { peer: 'p1', link: 'host/udp', rttMs: 2.5, bytesPerSecond: 3e6 },
      { peer: 'p2', link: 'relay/udp via tcp' },
    ]);
    expect(refusedField(failed([{ peer: 'p1', link: 'host/udp', rttMs: -1 }]))).toMatch(/fetchedFrom.*rttMs/);
    expect(refusedField(failed([{ peer: 'p1', link: 'host/udp', bytesPerSecond: 0 }]))).toMatch(
      /fetchedFrom.*bytesPerSecond/,
    );
  });
});
