import { describe, expect, it } from 'vitest';
import { SubmitterWatch } from '../../src/coordinator/submitter-watch.js';
import type { ConnectionInfo } from '../../src/transport/types.js';

/** A run of `submitter` that records its cancellation. */
function runOf(submitter: string) {
  const cancelled: string[] = [];
  return { submitter, run: { cancel: (reason: string) => cancelled.push(reason) }, cancelled };
}

function watch(options: {
  open?: readonly string[];
  answers?: boolean;
  members?: string[];
  runs: ReturnType<typeof runOf>[];
}) {
  const members = options.members ?? [];
  const w = new SubmitterWatch({
    transport: {
      connections: () =>
        (options.open ?? []).map((peerId) => ({ peerId, state: 'open' }) as unknown as ConnectionInfo),
      ping: () => (options.answers ? Promise.resolve(3) : Promise.reject(new Error('no pong'))),
    },
    membership: { peers: () => members.map((peerId) => ({ peerId, capabilities: {} as never })) },
    runs: { values: () => options.runs },
    closed: () => false,
  });
  return { w, members };
}

const settle = () => new Promise((r) => setTimeout(r, 0));

describe('SubmitterWatch', () => {
  it('a submitter that left with no open channel has its runs cancelled at once, and only its own', () => {
    const mine = runOf('s1');
    const other = runOf('s2');
    watch({ runs: [mine, other] }).w.left('s1');
    expect(mine.cancelled).toEqual(["its submitter 's1' left the mesh"]);
    expect(other.cancelled).toEqual([]);
  });

  it('a submitter the membership lost keeps its runs while its open channel answers a ping', async () => {
    const mine = runOf('s1');
    const { w } = watch({ open: ['s1'], answers: true, runs: [mine] });
    w.left('s1');
    await settle();
    expect(mine.cancelled).toEqual([]);
    // Its channel closes later while the membership still does not list it: now it is gone.
    w.disconnected('s1');
    expect(mine.cancelled).toEqual(["its submitter 's1' left the mesh and its connection closed"]);
  });

  it('a submitter that left and does not answer over its open channel has its runs cancelled', async () => {
    const mine = runOf('s1');
    watch({ open: ['s1'], answers: false, runs: [mine] }).w.left('s1');
    await settle();
    expect(mine.cancelled).toEqual(["its submitter 's1' left the mesh and does not answer"]);
  });

  it('a channel that closes for a submitter still listed as a member cancels nothing (it is redialled)', () => {
    const mine = runOf('s1');
    watch({ members: ['s1'], runs: [mine] }).w.disconnected('s1');
    expect(mine.cancelled).toEqual([]);
  });
});
