import { afterEach, describe, expect, it } from 'vitest';
import { DagValidationError, HandoutError, PeerError } from '../../src/errors.js';
import type { WireRunEvent } from '../../src/protocol/messages.js';
import { submitRemote } from '../../src/submit/submit-remote.js';
import { createTestMesh, fn, type TestMesh } from './helpers.js';

describe('remote submission', () => {
  let mesh: TestMesh | undefined;
  afterEach(async () => {
    await mesh?.close();
    mesh = undefined;
  });

  it('follows a run submitted over the mesh: events, records naming peers, and results fetched from holders', async () => {
    mesh = createTestMesh([
      { id: 'p1', options: { inlineLimitBytes: 0 } },
      { id: 'p2', options: { inlineLimitBytes: 0 } },
    ]);
    const transport = mesh.submitter('alice');
    const run = submitRemote(transport, 'coord', [
      fn('a', [], '() => [1, 2, 3]'),
      fn('b', ['a'], '(xs) => xs.map((x) => x * 10)'),
    ]);
    const started: string[] = [];
    run.on('task:started', ({ id, peer }) => started.push(`${id}@${peer}`));
    const summary = await run.done;
    expect(summary.status).toBe('succeeded');
    expect(await run.result('b')).toEqual([10, 20, 30]);
    for (const r of summary.functions) expect(['p1', 'p2']).toContain(r.peer);
    expect(started).toHaveLength(2);
  });

  it('two submitters at once both progress: the small DAG does not wait for the big one to finish', async () => {
    mesh = createTestMesh([{ id: 'p1' }, { id: 'p2' }]);
    // 300 × 10 ms of busy work on two peers: seconds of work, so that "the small run ended first" depends on the
    // fair queue and not on how loaded the machine is (at 3 ms the big run sometimes ended first under load).
    const big = submitRemote(
      mesh.submitter('big'),
      'coord',
      Array.from({ length: 300 }, (_, k) =>
        fn(`b${k}`, [], '(k) => { const end = Date.now() + 10; while (Date.now() < end) {} return k }', {
          extraArgs: [k],
        }),
      ),
    );
    await new Promise<void>((resolve) => big.on('task:succeeded', () => resolve()));
    const small = submitRemote(
      mesh.submitter('small'),
      'coord',
      Array.from({ length: 10 }, (_, k) => fn(`s${k}`, [], '(k) => k', { extraArgs: [k] })),
    );
    const smallDone = await small.done;
    expect(smallDone.status).toBe('succeeded');
    const bigSucceededSoFar = big.records().filter((r) => r.status === 'succeeded').length;
    expect(bigSucceededSoFar).toBeLessThan(300);
    expect((await big.done).status).toBe('succeeded');
  });

  it('cancels over the mesh: the coordinator stops the run and the peers drop its work', async () => {
    mesh = createTestMesh([{ id: 'p1' }]);
    const run = submitRemote(
      mesh.submitter('alice'),
      'coord',
      Array.from({ length: 4 }, (_, k) =>
        fn(`w${k}`, [], '(k) => new Promise((r) => setTimeout(() => r(k), 5000))', { extraArgs: [k] }),
      ),
    );
    await new Promise<void>((resolve) => run.on('task:started', () => resolve()));
    run.cancel();
    expect((await run.done).status).toBe('cancelled');
    await expect.poll(() => mesh!.agents.get('p1')!.agent.assigned).toBe(0);
  });

  it('the coordinator rejects an invalid DAG sent over the wire with every issue', async () => {
    mesh = createTestMesh([{ id: 'p1' }]);
    const transport = mesh.submitter('mallory');
    const event = new Promise<WireRunEvent>((resolve) =>
      transport.onMessage((_from, m) => {
        if (m.type === 'run:event') resolve(m.event);
        if (m.type === 'batch')
          for (const inner of m.messages) if (inner.type === 'run:event') resolve(inner.event);
      }),
    );
    await transport.send('coord', {
      type: 'dag:submit',
      runId: 'bad',
      dag: {
        format: 'handout-dag',
        version: 1,
        functions: [fn('a', ['b'], '(x) => x'), fn('b', ['a'], '(x) => x')],
      },
      options: {},
    });
    const e = await event;
    expect(e.kind).toBe('run:rejected');
    if (e.kind !== 'run:rejected') return;
    expect(e.issues?.map((i) => i.code)).toContain('cycle');
  });

  it('a run naming a strategy the coordinator does not know fails with an error naming it', async () => {
    mesh = createTestMesh([{ id: 'p1' }]);
    const run = submitRemote(mesh.submitter('alice'), 'coord', [fn('a', [], '() => 1')], {
      strategy: 'psychic',
    });
    expect((await run.done).status).toBe('failed');
    const error = await run.result('a').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HandoutError);
    expect((error as Error).message).toContain("'psychic'");
    expect(error).not.toBeInstanceOf(DagValidationError);
  });

  it('a coordinator that disappears fails the run with a PeerError naming it', async () => {
    mesh = createTestMesh([{ id: 'p1' }]);
    const run = submitRemote(mesh.submitter('alice'), 'coord', [
      fn('slow', [], '() => new Promise((r) => setTimeout(() => r(1), 5000))'),
    ]);
    await new Promise<void>((resolve) => run.on('task:started', () => resolve()));
    await mesh.coordinatorTransport.close();
    expect((await run.done).status).toBe('failed');
    const error = await run.result('slow').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PeerError);
    expect((error as PeerError).peerId).toBe('coord');
  });
});
