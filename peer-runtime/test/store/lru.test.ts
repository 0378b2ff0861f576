import { describe, expect, it } from 'vitest';
import { LruIndex } from '../../src/store/lru.js';

describe('LruIndex', () => {
  it('evicts least recently used first and reports what it evicted', () => {
    const lru = new LruIndex(100);
    lru.admit('a', 40);
    lru.admit('b', 40);
    lru.touch('a');
    expect(lru.admit('c', 40)).toEqual({ admitted: true, tick: 4, evicted: ['b'] });
    expect(lru.keys()).toEqual(['a', 'c']);
    expect(lru.bytes).toBe(80);
    expect(lru.evictions).toBe(1);
  });

  it('refuses a value larger than the bound and forgets the older entry under that hash', () => {
    const lru = new LruIndex(10);
    lru.admit('a', 5);
    expect(lru.admit('a', 11)).toEqual({ admitted: false, tick: 0, evicted: [] });
    expect(lru.has('a')).toBe(false);
    expect(lru.bytes).toBe(0);
    expect(lru.oversized).toBe(1);
  });

  it('restores persisted entries in tick order, trims to the bound and continues the clock', () => {
    const lru = new LruIndex(25);
    const evicted = lru.restore([
      { hash: 'new', size: 10, tick: 9 },
      { hash: 'old', size: 10, tick: 2 },
      { hash: 'mid', size: 10, tick: 5 },
    ]);
    expect(evicted).toEqual(['old']);
    expect(lru.keys()).toEqual(['mid', 'new']);
    expect(lru.touch('mid')).toBe(10);
  });

  it('rejects a negative or NaN bound with StoreInputError', () => {
    expect(() => new LruIndex(-1)).toThrow(
      expect.objectContaining({ name: 'StoreInputError', field: 'maxBytes' }),
    );
    expect(() => new LruIndex(Number.NaN)).toThrow(expect.objectContaining({ field: 'maxBytes' }));
  });
});
