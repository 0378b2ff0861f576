import { describe, expect, it } from 'vitest';
import { TypedEmitter } from '../src/typed-emitter.js';

interface Events {
  tick: { n: number };
  other: { s: string };
}

describe('TypedEmitter', () => {
  it('delivers each payload to the listeners of its event only, until they unsubscribe', () => {
    const emitter = new TypedEmitter<Events>();
    const ticks: number[] = [];
    const others: string[] = [];
    const off = emitter.on('tick', ({ n }) => ticks.push(n));
    emitter.on('other', ({ s }) => others.push(s));
    emitter.emit('tick', { n: 1 });
    off();
    emitter.emit('tick', { n: 2 });
    expect(ticks).toEqual([1]);
    expect(others).toEqual([]);
  });

  it('keeps calling the other listeners when one throws, by default', () => {
    const emitter = new TypedEmitter<Events>();
    const seen: number[] = [];
    emitter.on('tick', () => {
      throw new Error('listener bug');
    });
    emitter.on('tick', ({ n }) => seen.push(n));
    expect(() => emitter.emit('tick', { n: 3 })).not.toThrow();
    expect(seen).toEqual([3]);
  });

  it('lets a listener error reach the emitter when told not to catch', () => {
    const emitter = new TypedEmitter<Events>({ catchListenerErrors: false });
    emitter.on('tick', () => {
      throw new Error('listener bug');
    });
    expect(() => emitter.emit('tick', { n: 4 })).toThrow('listener bug');
  });

  it('says whether an event was ever subscribed to', () => {
    const emitter = new TypedEmitter<Events>();
    emitter.on('tick', () => {});
    expect(emitter.has('tick')).toBe(true);
    expect(emitter.has('other')).toBe(false);
  });
});
