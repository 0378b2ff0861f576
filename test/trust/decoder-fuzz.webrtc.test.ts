/**
 * The data-channel decoder fuzzed over a live WebRTC connection (node-datachannel, two transports in this
 * process): well-formed CBOR of the wrong shape — known message types with fields of arbitrary values — sent the
 * way a hostile peer would. Each must be refused before any listener sees it (the connection is dropped with
 * `protocol-error`), the receiver must keep working, and a valid message sent after it must arrive.
 * Run inside test/netns/run.sh (empty ICE list, no packet leaves the machine).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WireMessage } from '../../peer-runtime/src/protocol/messages.js';
import { validateMessage } from '../../peer-runtime/src/protocol/messages-validate.js';
import { nodeRtc } from '../../peer-runtime/src/transport/rtc.node.js';
import type { Transport } from '../../peer-runtime/src/transport/types.js';
import { createWebRtcTransport } from '../../peer-runtime/src/transport/webrtc.js';
import { SignalHub } from '../../peer-runtime/test/transport/signal-hub.js';

const TYPES = ['task:assign', 'task:result', 'result:fetch', 'dag:submit', 'peer:status', 'batch', 'error'];

/** A message-shaped object: a known type, then any fields with any values CBOR can carry. */
const hostile = fc.record({
  type: fc.constantFrom(...TYPES),
  fields: fc.dictionary(
    fc.constantFrom(
      'runId',
      'assignments',
      'hash',
      'requestId',
      'ticket',
      'inputs',
      'messages',
      'digest',
      'x',
    ),
    fc.oneof(
      fc.anything({ maxDepth: 3 }),
      fc.uint8Array({ maxLength: 40 }),
      fc.array(fc.record({ producer: fc.string(), hash: fc.string(), holders: fc.anything() })),
    ),
  ),
});

/** True when the value is not a valid message (what the fuzz is about; valid ones are skipped). */
function invalid(value: unknown): boolean {
  try {
    validateMessage(value);
    return false;
  } catch {
    return true;
  }
}

describe('the data-channel decoder over a live connection', () => {
  const hub = new SignalHub();
  const make = (id: string): Transport => {
    const member = hub.join(id);
    return createWebRtcTransport({ peerId: id, signals: member, directory: member, rtc: nodeRtc() });
  };
  let victim: Transport;
  let honest: Transport;
  const attackers: Transport[] = [];
  const seen: { from: string; message: WireMessage }[] = [];
  const drops: { peerId: string; reason: string }[] = [];

  beforeAll(() => {
    victim = make('fuzz-victim');
    honest = make('fuzz-honest');
    victim.onMessage((from, message) => seen.push({ from, message }));
    victim.on('peer:disconnected', ({ peerId, reason }) => drops.push({ peerId, reason }));
  });
  afterAll(async () => {
    for (const t of [...attackers, honest, victim]) await t?.close();
  });

  it('refuses every wrong-shaped message before any listener, drops its sender, and keeps serving the others', async () => {
    let checked = 0;
    await fc.assert(
      fc.asyncProperty(hostile, async ({ type, fields }) => {
        const value = { ...fields, type };
        if (!invalid(value)) return;
        const k = ++checked;
        // A fresh attacker each time: a peer dropped for a protocol error is not taken back on that connection.
        const attacker = make(`fuzz-attacker-${k}`);
        attackers.push(attacker);
        await attacker.send('fuzz-victim', value as unknown as WireMessage).catch(() => {});
        await expect
          .poll(() => drops.find((d) => d.peerId === `fuzz-attacker-${k}`)?.reason, { timeout: 10_000 })
          .toBe('protocol-error');
        // Nothing of it reached the victim's listeners; the honest peer is served as before.
        expect(seen.some((s) => s.from === `fuzz-attacker-${k}`)).toBe(false);
        await honest.send('fuzz-victim', { type: 'result:missing', requestId: k, hash: 'h' });
        await expect
          .poll(
            () =>
              seen.some(
                (s) => s.from === 'fuzz-honest' && (s.message as { requestId?: number }).requestId === k,
              ),
            {
              timeout: 10_000,
            },
          )
          .toBe(true);
        await attacker.close();
      }),
      { numRuns: 25 },
    );
    expect(checked).toBeGreaterThan(10);
    expect(drops.some((d) => d.peerId === 'fuzz-honest')).toBe(false);
  }, 300_000);
});
