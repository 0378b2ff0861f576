import { describe, expect, it } from 'vitest';
import { createMemoryMembership, type MeshMember, nodeCapabilities } from '../../src/mesh/membership.js';

const member = (peerId: string, cores = 1): MeshMember => ({ peerId, capabilities: nodeCapabilities(cores) });

describe('memory membership', () => {
  it('reports joins, updates and leaves to the listeners of each event, until they unsubscribe', () => {
    const membership = createMemoryMembership([member('a')]);
    const seen: string[] = [];
    membership.on('peer:joined', (m) => seen.push(`joined ${m.peerId}`));
    const offUpdated = membership.on('peer:updated', (m) =>
      seen.push(`updated ${m.peerId} ${m.capabilities.cores}`),
    );
    membership.on('peer:left', ({ peerId }) => seen.push(`left ${peerId}`));
    membership.join(member('b'));
    membership.join(member('a', 4)); // already a member: an update
    membership.leave('b');
    membership.leave('b'); // not a member any more: nothing
    offUpdated();
    membership.update(member('a', 8));
    expect(seen).toEqual(['joined b', 'updated a 4', 'left b']);
    expect(membership.peers().map((m) => [m.peerId, m.capabilities.cores])).toEqual([['a', 8]]);
  });

  it('a listener that throws neither breaks the other listeners nor the change itself', () => {
    const membership = createMemoryMembership();
    const heard: string[] = [];
    membership.on('peer:joined', () => {
      throw new Error('listener bug');
    });
    membership.on('peer:joined', (m) => heard.push(m.peerId));
    membership.on('peer:left', () => {
      throw new Error('listener bug');
    });
    membership.on('peer:left', ({ peerId }) => heard.push(`-${peerId}`));
    expect(() => membership.join(member('x'))).not.toThrow();
    expect(membership.peers().map((m) => m.peerId)).toEqual(['x']);
    expect(() => membership.leave('x')).not.toThrow();
    expect(heard).toEqual(['x', '-x']);
    expect(membership.peers()).toEqual([]);
  });
});
