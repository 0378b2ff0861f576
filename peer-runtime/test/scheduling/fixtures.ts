/** Shared builders for the scheduling tests: function specs, peer views and small graphs. */
import type { Cost, FunctionSpec, NodeSelector } from '../../src/dag/types.js';
import type { PeerView, ReadyFunction } from '../../src/scheduling/types.js';

export function spec(
  id: string,
  args: readonly string[] = [],
  cost: Cost = {},
  node?: NodeSelector,
): FunctionSpec {
  return {
    id,
    args,
    code: { kind: 'source', source: '() => 0' },
    cost,
    ...(node === undefined ? {} : { node }),
  };
}

export function peer(peerId: string, caps: Partial<Omit<PeerView, 'peerId'>> = {}): PeerView {
  return {
    peerId,
    platform: 'node',
    cores: 1,
    memoryMB: 8192,
    gpu: false,
    tags: [],
    costRate: 1,
    speed: 1,
    resources: {},
    paused: false,
    used: { cpu: 0, memoryMB: 0, resources: {} },
    running: 0,
    ...caps,
  };
}

export function ready(s: FunctionSpec, extra: Partial<Omit<ReadyFunction, 'spec'>> = {}): ReadyFunction {
  return { spec: s, ...extra };
}

/**
 * The 10-task, 3-processor example of Topcuoglu, Hariri and Wu, "Performance-effective and low-complexity task
 * scheduling for heterogeneous computing", IEEE TPDS 13(3), 2002, Fig. 2: computation costs per processor and
 * communication costs per edge. HEFT's schedule length on it is 80.
 */
export const TOPCUOGLU = {
  compute: {
    n1: [14, 16, 9],
    n2: [13, 19, 18],
    n3: [11, 13, 19],
    n4: [13, 8, 17],
    n5: [12, 13, 10],
    n6: [13, 16, 9],
    n7: [7, 15, 11],
    n8: [5, 11, 14],
    n9: [18, 12, 20],
    n10: [21, 7, 16],
  } as Record<string, [number, number, number]>,
  edges: [
    ['n1', 'n2', 18],
    ['n1', 'n3', 12],
    ['n1', 'n4', 9],
    ['n1', 'n5', 11],
    ['n1', 'n6', 14],
    ['n2', 'n8', 19],
    ['n2', 'n9', 16],
    ['n3', 'n7', 23],
    ['n4', 'n8', 27],
    ['n4', 'n9', 23],
    ['n5', 'n9', 13],
    ['n6', 'n8', 15],
    ['n7', 'n10', 17],
    ['n8', 'n10', 11],
    ['n9', 'n10', 13],
  ] as Array<[string, string, number]>,
};
