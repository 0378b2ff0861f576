import { describe, expect, it } from 'vitest';
import { createAllocator } from '../../src/scheduling/allocator.js';
import { createResourceTracker } from '../../src/scheduling/resource-tracker.js';
import { createUnsatisfiableWatch } from '../../src/scheduling/unsatisfiable-watch.js';
import { ready, spec } from './fixtures.js';

describe('unsatisfiable functions', () => {
  it('wait with the unmet need and fail after the configured time, naming it', () => {
    const tracker = createResourceTracker();
    tracker.register('cpu-only', { cores: 2 });
    const allocator = createAllocator('load-balanced');
    const watch = createUnsatisfiableWatch({ timeoutMs: 1000 });
    const fns = [ready(spec('render', [], { gpu: true })), ready(spec('sum'))];

    const first = allocator.allocate({ functions: fns, peers: tracker.peers() });
    expect(watch.observe(first, 0)).toEqual([]);
    expect(watch.pending().get('render')).toEqual({ unmet: 'gpu', sinceMs: 0 });
    expect(watch.pending().has('sum')).toBe(false);

    const later = allocator.allocate({ functions: [fns[0]!], peers: tracker.peers() });
    expect(watch.observe(later, 999)).toEqual([]);
    const [expiry] = watch.observe(later, 1000);
    expect(expiry).toMatchObject({ functionId: 'render', unmet: 'gpu', waitedMs: 1000 });
    expect(expiry?.message).toBe("function 'render' waited 1000 ms for a peer offering gpu");
    expect(watch.pending().has('render')).toBe(false); // reported once; the coordinator fails it now
  });

  it('restart the clock when a matching peer joins, even a busy one', () => {
    const tracker = createResourceTracker();
    tracker.register('cpu-only', {});
    const allocator = createAllocator('first-available');
    const watch = createUnsatisfiableWatch({ timeoutMs: 1000 });
    const render = [ready(spec('render', [], { gpu: true }))];
    watch.observe(allocator.allocate({ functions: render, peers: tracker.peers() }), 0);
    tracker.register('gpu-box', { gpu: true });
    const grant = tracker.request('gpu-box', { cpu: 1, memoryMB: 0, gpu: false, resources: {} });
    expect(grant.ok).toBe(true);
    const busy = allocator.allocate({ functions: render, peers: tracker.peers() });
    expect(busy.waiting[0]?.reason).toBe('busy');
    expect(watch.observe(busy, 5000)).toEqual([]);
    expect(watch.pending().size).toBe(0);
  });
});
