import { describe, expect, it } from 'vitest';
import { RecencyQueue } from '../../src/coordinator/recency-queue.js';
import { ResultDirectory } from '../../src/coordinator/result-directory.js';
import { digestOf } from '../../src/mesh/fetch-grants.js';
import { LocationBook } from '../../src/mesh/location-book.js';
import { PACKED_MAX_BYTES, packBytes, unpackBytes } from '../../src/mesh/packed-bytes.js';

const bytes = (...b: number[]) => new Uint8Array(b);

describe('result directory (compact entries)', () => {
  it('moves between one holder and several, and back, reporting each as a holder', () => {
    const d = new ResultDirectory();
    d.add('h', 'p1', 4);
    d.add('h', 'p1', 4);
    expect([...d.get('h')!.holders]).toEqual(['p1']);
    expect(d.get('h')!.holderCount).toBe(1);
    d.add('h', 'p2', 4);
    d.add('h', 'p3', 4);
    expect([...d.get('h')!.holders].sort()).toEqual(['p1', 'p2', 'p3']);
    expect(d.get('h')!.holderCount).toBe(3);
    d.remove('h', 'p1');
    d.remove('h', 'p3');
    expect([...d.get('h')!.holders]).toEqual(['p2']);
    expect(d.removePeer('p2')).toEqual(['h']);
    expect(d.has('h')).toBe(false);
    expect(d.heldBy('p2').size).toBe(0);
  });

  it('gives back the inline bytes and digest it was given, as fresh copies', () => {
    const d = new ResultDirectory();
    const digest = digestOf(bytes(9, 9, 9));
    const inline = bytes(0, 255, 128, 7);
    d.add('h', 'p1', 4, inline, digest);
    const e = d.get('h')!;
    expect(e.inline).toEqual(inline);
    expect(e.digest).toEqual(digest);
    e.inline![0] = 42; // a caller's copy: the directory's bytes do not change
    expect(d.get('h')!.inline).toEqual(inline);
    expect(d.digestOf('h')).toEqual(digest);
    // A large inline result is kept as it came.
    const big = new Uint8Array(PACKED_MAX_BYTES + 1).fill(3);
    d.add('big', 'p1', big.byteLength, big);
    expect(d.get('big')!.inline).toEqual(big);
  });

  it('remembers the digest of a hash whose last holder left, for a peer that announces it again', () => {
    const d = new ResultDirectory({ maxDigests: 2 });
    const digest = digestOf(bytes(1));
    d.add('h', 'p1', 1, undefined, digest);
    d.removePeer('p1');
    expect(d.has('h')).toBe(false);
    expect(d.checkable('h')).toBe(true);
    expect(d.digestOf('h')).toEqual(digest);
    d.add('h', 'p9', 0); // announced again, no digest of its own: the remembered one is the entry's
    expect(d.get('h')!.digest).toEqual(digest);
    // Past maxDigests the oldest loss is forgotten first.
    for (const k of ['a', 'b', 'c']) {
      d.add(k, 'p2', 1, undefined, digestOf(bytes(k.charCodeAt(0))));
      d.remove(k, 'p2');
    }
    expect(d.checkable('a')).toBe(false);
    expect(d.checkable('b')).toBe(true);
    expect(d.checkable('c')).toBe(true);
  });

  it('derives the digest of evicted inline bytes, so fetches from their holder can still be checked', () => {
    const d = new ResultDirectory({ maxInlineBytes: 8 });
    d.add('a', 'p1', 4, bytes(1, 2, 3, 4));
    d.add('b', 'p1', 4, bytes(5, 6, 7, 8));
    d.add('c', 'p1', 4, bytes(9, 9, 9, 9));
    expect(d.get('a')!.inline).toBeUndefined();
    expect(d.get('a')!.digest).toEqual(digestOf(bytes(1, 2, 3, 4)));
    expect([...d.get('a')!.holders]).toEqual(['p1']);
    expect(d.get('c')!.inline).toEqual(bytes(9, 9, 9, 9));
  });

  it('keeps least-recently-added eviction over thousands of refreshes and evictions', () => {
    const d = new ResultDirectory({ maxInlineBytes: 100 });
    // 100 one-byte results fill it; "keep" is refreshed after each new one, so it must outlive all the others.
    d.addInline('keep', bytes(0));
    for (let k = 0; k < 5000; k++) {
      d.addInline(`h${k}`, bytes(k & 255));
      d.addInline('keep', bytes(0));
    }
    expect(d.has('keep')).toBe(true);
    expect(d.has('h4999')).toBe(true);
    expect(d.has('h4901')).toBe(true);
    expect(d.has('h4900')).toBe(false);
    expect(d.size).toBe(100);
  });
});

describe('recency queue', () => {
  it('takes items oldest first, touched ones last, across compactions', () => {
    const q = new RecencyQueue<{ n: number; queuedAt: number }>();
    const items = Array.from({ length: 3000 }, (_, n) => ({ n, queuedAt: 0 }));
    for (const item of items) q.touch(item);
    for (let n = 0; n < 3000; n += 2) q.touch(items[n]!); // evens move to the back, in order
    q.remove(items[1]!);
    expect(q.size).toBe(2999);
    const order: number[] = [];
    for (let item = q.takeOldest(); item !== undefined; item = q.takeOldest()) order.push(item.n);
    const odds = items.map((i) => i.n).filter((n) => n % 2 === 1 && n !== 1);
    const evens = items.map((i) => i.n).filter((n) => n % 2 === 0);
    expect(order).toEqual([...odds, ...evens]);
    expect(q.size).toBe(0);
  });
});

describe('packed bytes and the location book', () => {
  it('round-trips every byte value', () => {
    const all = Uint8Array.from({ length: PACKED_MAX_BYTES }, (_, k) => (k * 37) & 255);
    expect(typeof packBytes(all)).toBe('string');
    expect(unpackBytes(packBytes(all))).toEqual(all);
    expect(unpackBytes(packBytes(bytes()))).toEqual(bytes());
  });

  it('gives back each location as it was set, with its function hash unless it named another', () => {
    const book = new LocationBook(3);
    expect(book.get(0, 'h0')).toBeUndefined();
    const tickets = new Map([['p2', { exp: 1, mac: bytes(1) }]]);
    book.set(0, 'h0', { hash: 'h0', size: 3, holders: ['p1'], inline: bytes(1, 2, 3) });
    book.set(1, 'h1', { hash: 'other', size: 9, holders: ['p1', 'p2'], digest: bytes(7), tickets });
    book.set(2, 'h2', { hash: 'h2', size: 0, holders: [] });
    expect(book.get(0, 'h0')).toEqual({ hash: 'h0', size: 3, holders: ['p1'], inline: bytes(1, 2, 3) });
    expect(book.get(1, 'h1')).toEqual({
      hash: 'other',
      size: 9,
      holders: ['p1', 'p2'],
      digest: bytes(7),
      tickets,
    });
    expect(book.get(2, 'h2')).toEqual({ hash: 'h2', size: 0, holders: [] });
    book.set(1, 'h1', { hash: 'h1', size: 9, holders: ['p3'] });
    expect(book.get(1, 'h1')).toEqual({ hash: 'h1', size: 9, holders: ['p3'] });
  });
});
