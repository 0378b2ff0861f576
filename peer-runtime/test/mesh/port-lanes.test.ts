/**
 * The mesh port and the transport's lanes (issue 16, goal 5): a large `result:data` posted in the same turn as
 * control messages leaves on its own, in the bulk lane, so the batch of control messages is not held behind it;
 * small `result:data` replies still ride in the batch.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { BULK_ALONE_BYTES, portOf } from '../../src/mesh/port.js';
import type { BatchableMessage, WireMessage } from '../../src/protocol/messages.js';
import { createMemoryTransport, MemoryNetwork } from '../../src/transport/memory.js';
import type { Transport } from '../../src/transport/types.js';

const open: Transport[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.close()));
});

function pair(): [Transport, Transport] {
  const network = new MemoryNetwork();
  const a = createMemoryTransport(network, 'a');
  const b = createMemoryTransport(network, 'b');
  open.push(a, b);
  return [a, b];
}

const cancel: BatchableMessage = { type: 'task:cancel', runId: 'r', functionIds: ['f1'], reason: 'test' };

describe('mesh port lanes', () => {
  it('a large result:data posted before a cancel in the same turn does not hold the cancel back', async () => {
    const [a, b] = pair();
    await a.connect('b');
    const arrived: WireMessage['type'][] = [];
    const both = new Promise<void>((resolve) => {
      b.onMessage((_from, m) => {
        arrived.push(m.type);
        if (arrived.length === 2) resolve();
      });
    });
    const port = portOf(a);
    port.post('b', { type: 'result:data', requestId: 1, hash: 'h', bytes: new Uint8Array(8 << 20) });
    port.post('b', cancel);
    await both;
    // In one batch, the cancel would have arrived inside it, after the 8 MiB.
    expect(arrived).toEqual(['task:cancel', 'result:data']);
  });

  it('small result:data replies still share the batch with the control messages of their turn', async () => {
    const [a, b] = pair();
    await a.connect('b');
    const got = new Promise<WireMessage>((resolve) => b.onMessage((_from, m) => resolve(m)));
    const port = portOf(a);
    const bytes = new Uint8Array(BULK_ALONE_BYTES - 1);
    port.post('b', { type: 'result:data', requestId: 2, hash: 'h', bytes });
    port.post('b', cancel);
    const m = await got;
    expect(m.type).toBe('batch');
    if (m.type === 'batch') expect(m.messages.map((x) => x.type)).toEqual(['result:data', 'task:cancel']);
  });
});
