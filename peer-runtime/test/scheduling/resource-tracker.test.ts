import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PeerError } from '../../src/errors.js';
import { resourceRequestOf, SchedulingError } from '../../src/scheduling/needs.js';
import { createResourceTracker } from '../../src/scheduling/resource-tracker.js';
import type { ResourceGrant, ResourceRequest } from '../../src/scheduling/types.js';
import { spec } from './fixtures.js';

const req = (over: Partial<ResourceRequest> = {}): ResourceRequest => ({
  cpu: 1,
  memoryMB: 0,
  gpu: false,
  resources: {},
  ...over,
});

describe('ResourceTracker', () => {
  it('grants slots up to the core count and refuses the next one naming cpu', () => {
    const tracker = createResourceTracker();
    tracker.register('a', { cores: 2 });
    const one = tracker.request('a', req());
    const two = tracker.request('a', req());
    const three = tracker.request('a', req());
    expect(one.ok && two.ok).toBe(true);
    expect(three).toEqual({ ok: false, reason: 'resources_unavailable', unmet: 'cpu 1 > 0 free' });
    expect(tracker.available('a', req())).toBe(false);
    if (one.ok) tracker.release(one.grant);
    expect(tracker.available('a', req())).toBe(true);
    expect(tracker.peer('a')?.used.cpu).toBe(1);
  });

  it('refuses unknown and paused peers with their own reasons', () => {
    const tracker = createResourceTracker();
    tracker.register('a', { paused: true });
    expect(tracker.request('ghost', req())).toMatchObject({ ok: false, reason: 'unknown_peer' });
    expect(tracker.request('a', req())).toMatchObject({ ok: false, reason: 'paused' });
    tracker.update('a', { paused: false });
    expect(tracker.request('a', req()).ok).toBe(true);
  });

  it('names the unmet need: gpu, memory, tag, custom resource', () => {
    const tracker = createResourceTracker();
    tracker.register('a', { cores: 4, memoryMB: 2048, tags: ['us'], resources: { licence: 1 } });
    expect(tracker.request('a', req({ gpu: true }))).toMatchObject({ unmet: 'gpu' });
    expect(tracker.request('a', req({ memoryMB: 4096 }))).toMatchObject({ unmet: 'memoryMB 4096 > 2048' });
    expect(tracker.request('a', req({ node: { tags: ['eu'] } }))).toMatchObject({ unmet: "tag 'eu'" });
    expect(tracker.request('a', req({ resources: { licence: 2 } }))).toMatchObject({
      unmet: 'licence 2 > 1',
    });
    expect(tracker.request('a', req({ node: 'b' }))).toMatchObject({ unmet: "peer 'b'" });
  });

  it('consumes memory and custom resources and gives them back on release', () => {
    const tracker = createResourceTracker();
    tracker.register('a', { cores: 4, memoryMB: 1000, resources: { licence: 1 } });
    const first = tracker.request('a', req({ memoryMB: 600, resources: { licence: 1 } }));
    expect(tracker.request('a', req({ memoryMB: 600 }))).toMatchObject({ unmet: 'memoryMB 600 > 400 free' });
    expect(tracker.request('a', req({ resources: { licence: 1 } }))).toMatchObject({
      unmet: 'licence 1 > 0 free',
    });
    if (!first.ok) throw new Error('first request refused');
    tracker.release(first.grant);
    tracker.release(first.grant); // twice is a no-op
    expect(tracker.peer('a')?.used).toEqual({ cpu: 0, memoryMB: 0, resources: {} });
  });

  it('says which need no peer can ever meet, quoting the best offer', () => {
    const tracker = createResourceTracker();
    expect(tracker.canEverSatisfy(req())).toEqual({
      ok: false,
      unmet: 'a contributing peer (none connected)',
    });
    tracker.register('small', { memoryMB: 1024 });
    tracker.register('big', { memoryMB: 2048, gpu: false });
    expect(tracker.canEverSatisfy(req({ memoryMB: 4096 }))).toEqual({
      ok: false,
      unmet: 'memoryMB 4096 > 2048',
    });
    expect(tracker.canEverSatisfy(req({ gpu: true }))).toEqual({ ok: false, unmet: 'gpu' });
    expect(tracker.canEverSatisfy(req({ memoryMB: 2000 }))).toEqual({ ok: true });
    tracker.update('big', { paused: true });
    expect(tracker.canEverSatisfy(req({ memoryMB: 2000 }))).toMatchObject({
      ok: false,
      unmet: expect.stringMatching(/paused/),
    });
  });

  it('emits join, update, free and leave events so a coordinator can reschedule', () => {
    const tracker = createResourceTracker();
    const seen: string[] = [];
    tracker.on('peer:joined', (p) => seen.push(`joined ${p.peerId}`));
    tracker.on('peer:updated', (p, before) =>
      seen.push(`updated ${p.peerId} paused ${before.paused}->${p.paused}`),
    );
    tracker.on('capacity:freed', (p) => seen.push(`freed ${p.peerId} ${p.used.cpu}`));
    const off = tracker.on('peer:left', (id) => seen.push(`left ${id}`));
    tracker.register('a', {});
    tracker.update('a', { paused: true });
    tracker.update('a', { paused: false });
    const g = tracker.request('a', req());
    if (g.ok) tracker.release(g.grant);
    tracker.unregister('a');
    off();
    tracker.register('b', {});
    tracker.unregister('b');
    expect(seen).toEqual([
      'joined a',
      'updated a paused false->true',
      'updated a paused true->false',
      'freed a 0',
      'left a',
      'joined b',
    ]);
  });

  it('rejects bad capabilities and updates of unknown peers with typed errors naming the culprit', () => {
    const tracker = createResourceTracker();
    expect(() => tracker.register('a', { speed: 0 })).toThrow(SchedulingError);
    expect(() => tracker.register('a', { cores: -1 })).toThrow(/peer 'a'.*cores/);
    expect(() => tracker.update('nobody', { cores: 2 })).toThrow(PeerError);
    expect(() => resourceRequestOf(spec('f', [], { cpu: -1 }))).toThrow(/function 'f'.*cost.cpu/);
  });

  it('never lets usage go negative or past capacity, whatever the sequence of requests and releases', () => {
    const op = fc.oneof(
      fc.record({
        kind: fc.constant('request' as const),
        peer: fc.integer({ min: 0, max: 2 }),
        cpu: fc.constantFrom(0.25, 0.5, 1, 2),
        memoryMB: fc.integer({ min: 0, max: 1500 }),
        licence: fc.integer({ min: 0, max: 2 }),
      }),
      fc.record({ kind: fc.constant('release' as const), index: fc.nat(), twice: fc.boolean() }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const tracker = createResourceTracker();
        const caps = [
          { cores: 2, memoryMB: 2000, resources: { licence: 2 } },
          { cores: 1, memoryMB: 1000 },
          { cores: 4, memoryMB: 4000, resources: { licence: 1 } },
        ];
        for (const [i, c] of caps.entries()) tracker.register(`p${i}`, c);
        const held: ResourceGrant[] = [];
        for (const o of ops) {
          if (o.kind === 'request') {
            const r = tracker.request(
              `p${o.peer}`,
              req({ cpu: o.cpu, memoryMB: o.memoryMB, resources: o.licence ? { licence: o.licence } : {} }),
            );
            if (r.ok) held.push(r.grant);
          } else if (held.length > 0) {
            const [g] = held.splice(o.index % held.length, 1);
            tracker.release(g!);
            if (o.twice) tracker.release(g!);
          }
          for (const [i, p] of tracker.peers().entries()) {
            const cap = caps[i]!;
            expect(p.used.cpu).toBeGreaterThanOrEqual(0);
            expect(p.used.cpu).toBeLessThanOrEqual(cap.cores + 1e-9);
            expect(p.used.memoryMB).toBeGreaterThanOrEqual(0);
            expect(p.used.memoryMB).toBeLessThanOrEqual(cap.memoryMB);
            const licence = p.used.resources.licence ?? 0;
            expect(licence).toBeGreaterThanOrEqual(0);
            expect(licence).toBeLessThanOrEqual(cap.resources?.licence ?? 0);
            expect(p.running).toBe(held.filter((g) => g.peerId === p.peerId).length);
          }
        }
        for (const g of held) tracker.release(g);
        for (const p of tracker.peers()) expect(p.used).toEqual({ cpu: 0, memoryMB: 0, resources: {} });
      }),
    );
  });
});
