/**
 * Cache receipts (coordinator/receipts.ts, cache-claims.ts, agent/receipt-book.ts) over the memory transport: an
 * accepted result's holder gets a receipt; a coordinator started again with the same mesh key serves the
 * holder's announced result from cache on the strength of it, and ignores (or refuses, when the receipt is
 * forged) what a stranger announces. The same across real processes and a real restart is in
 * test/trust/receipts.process.test.ts.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { afterEach, describe, expect, it } from 'vitest';
import { ReceiptBook } from '../../src/agent/receipt-book.js';
import { type Coordinator, createCoordinator } from '../../src/coordinator/coordinator.js';
import { ReceiptIssuer, receiptKey } from '../../src/coordinator/receipts.js';
import { holderKey } from '../../src/mesh/fetch-grants.js';
import { staticMembers } from '../../src/mesh/members.js';
import { nodeCapabilities } from '../../src/mesh/membership.js';
import { openJsonLines } from '../../src/platform/json-files.node.js';
import type { BatchableMessage, ResultReceipt, WireMessage } from '../../src/protocol/messages.js';
import type { Role } from '../../src/signaling/contract.js';
import { createMemoryTransport } from '../../src/transport/memory.js';
import type { Transport } from '../../src/transport/types.js';
import { createTestMesh, fn, type TestMesh } from './helpers.js';

const meshKey = new Uint8Array(32).fill(7);
const roles = new Map<string, readonly Role[]>([
  ['coord', ['coordinate', 'submit']],
  ['p1', ['contribute']],
  ['p2', ['contribute']],
  ['mallory', ['contribute']],
]);
const members = staticMembers(roles);
const digest = new Uint8Array(32).fill(1);

/**
 * The coordinator goes; a new one with the same mesh key (a restart) comes up under the same id, closed by
 * `closers`. With `peer`, that peer first sees the old connection close (it must, before it dials the new one),
 * then connects and announces its holdings.
 */
async function restartCoordinator(
  mesh: TestMesh,
  closers: (() => Promise<void>)[],
  peer?: string,
): Promise<Coordinator> {
  await mesh.coordinator.close();
  await mesh.coordinatorTransport.close();
  const agent = peer === undefined ? undefined : mesh.agents.get(peer)!;
  if (agent)
    await expect.poll(() => agent.transport.connections().some((c) => c.peerId === 'coord')).toBe(false);
  const transport = createMemoryTransport(mesh.network, 'coord');
  const restarted = createCoordinator({
    transport,
    membership: mesh.membership,
    members,
    meshKey,
    heartbeatIntervalMs: 0,
  });
  closers.push(async () => {
    await restarted.close();
    await transport.close();
  });
  if (agent) {
    await agent.transport.connect('coord');
    await agent.agent.announce('coord');
  }
  return restarted;
}

function inbox(t: Transport): BatchableMessage[] {
  const got: BatchableMessage[] = [];
  t.onMessage((_from, m: WireMessage) => {
    if (m.type === 'batch') got.push(...m.messages);
    else if (m.type !== 'hello' && m.type !== 'ping' && m.type !== 'pong') got.push(m);
  });
  return got;
}

describe('receipt MACs', () => {
  it('a receipt checks under any issuer built from the same mesh key, and under no other', () => {
    const r = new ReceiptIssuer(meshKey, 'coord').issue('h'.repeat(64), digest, true);
    // A restarted coordinator (a new issuer, same configuration) and a standby (another id) both accept it.
    expect(new ReceiptIssuer(meshKey, 'coord').check(r.hash, r)).toBe('ok');
    expect(new ReceiptIssuer(meshKey, 'standby').check(r.hash, r)).toBe('ok');
    expect(new ReceiptIssuer(new Uint8Array(32).fill(8), 'coord').check(r.hash, r)).toBe('forged');
  });

  it('changing any field it covers makes it forged, and it names only its own hash', () => {
    const issuer = new ReceiptIssuer(meshKey, 'coord');
    const r = issuer.issue('h'.repeat(64), digest, false);
    expect(issuer.check(r.hash, { ...r, verified: true })).toBe('forged');
    expect(issuer.check(r.hash, { ...r, digest: new Uint8Array(32).fill(2) })).toBe('forged');
    expect(issuer.check(r.hash, { ...r, issuer: 'other' })).toBe('forged');
    expect(issuer.check('g'.repeat(64), { ...r, hash: 'g'.repeat(64) })).toBe('forged');
    expect(issuer.check('g'.repeat(64), r)).toBe('other-hash');
    expect(issuer.check(r.hash, { ...r, issuedAt: r.issuedAt! + 1 })).toBe('forged');
  });

  it('expires a receipt older than the TTL (not a forgery), and one without an issue time under a finite TTL', () => {
    let now = 1_000_000;
    const issuer = new ReceiptIssuer(meshKey, 'coord', { ttlMs: 5000, now: () => now });
    const r = issuer.issue('h'.repeat(64), digest, true);
    expect(r.issuedAt).toBe(1_000_000);
    now += 5000;
    expect(issuer.check(r.hash, r)).toBe('ok');
    now += 1;
    expect(issuer.check(r.hash, r)).toBe('expired');
    // A forged receipt stays forged, however old.
    expect(issuer.check(r.hash, { ...r, verified: false })).toBe('forged');
    // Without issuedAt the MAC covers the first four fields (receipts from before expiry).
    const forever = new ReceiptIssuer(meshKey, 'coord', { ttlMs: Number.POSITIVE_INFINITY, now: () => now });
    const { issuedAt: _, ...legacy } = r;
    expect(issuer.check(r.hash, legacy)).toBe('forged'); // its MAC covered issuedAt
    expect(forever.check(r.hash, r)).toBe('ok');
  });
});

describe('cache receipts across a coordinator restart', () => {
  let mesh: TestMesh | undefined;
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of closers.splice(0).reverse()) await c();
    await mesh?.close();
    mesh = undefined;
  });

  it('the holder keeps its receipt; the restarted coordinator serves its announcement from cache, not the stranger’s', async () => {
    const book = new ReceiptBook();
    mesh = createTestMesh(
      [{ id: 'p1', options: { members, fetchKey: holderKey(meshKey, 'p1'), receipts: book } }],
      { members, meshKey },
    );
    const specs = [fn('big', [], "() => 'x'.repeat(40000)"), fn('small', [], '() => 6 * 7')];
    const first = mesh.coordinator.submit(specs);
    expect((await first.done).status).toBe('succeeded');
    const bigHash = first.record('big').hash;
    const smallHash = first.record('small').hash;
    await expect.poll(() => book.size).toBe(2);
    expect(book.get(bigHash)).toMatchObject({ hash: bigHash, verified: false, issuer: 'coord' });

    // The coordinator goes; a new one with the same mesh key (a restart) comes up under the same id.
    const restarted = await restartCoordinator(mesh, closers);
    // A stranger claims the same hashes: one with a forged receipt, one with none.
    const mallory = createMemoryTransport(mesh.network, 'mallory');
    closers.push(() => mallory.close());
    mesh.membership.join({ peerId: 'mallory', capabilities: nodeCapabilities(1) });
    const got = inbox(mallory);
    const forged: ResultReceipt = {
      hash: bigHash,
      digest,
      verified: true,
      issuer: 'coord',
      mac: new Uint8Array(16).fill(3),
    };
    await mallory.send('coord', {
      type: 'peer:status',
      running: 0,
      slots: 0,
      paused: true,
      added: [bigHash, smallHash],
      receipts: [forged],
    });
    // p1's transport saw the old coordinator go; dialling clears that (a real agent announces on reconnect).
    await mesh.agents.get('p1')!.transport.connect('coord');
    await mesh.agents.get('p1')!.agent.announce('coord');
    await expect.poll(() => [...restarted.holders(bigHash)]).toEqual(['p1']);
    expect(restarted.holders(smallHash)).toEqual(['p1']);
    expect(restarted.refusals().get('peer:status receipt')).toBe(1);
    await expect
      .poll(() => got.find((m) => m.type === 'error'))
      .toMatchObject({ code: 'refused', kind: 'peer:status', missing: 'receipt' });

    const again = restarted.submit(specs);
    const summary = await again.done;
    expect(summary.functions.map((r) => [r.id, r.cached, r.peer])).toEqual([
      ['big', true, 'p1'],
      ['small', true, 'p1'],
    ]);
    expect(await again.result('big')).toBe('x'.repeat(40000));
  });

  it('a peer that fetched an input and kept it gets a receipt, and after a restart its copy is served when the producer is gone', async () => {
    const books = { p1: new ReceiptBook(), p2: new ReceiptBook() };
    const agent = (id: 'p1' | 'p2') => ({
      id,
      capabilities: { tags: [id === 'p1' ? 'producer' : 'consumer'] },
      options: { members, fetchKey: holderKey(meshKey, id), receipts: books[id] },
    });
    mesh = createTestMesh([agent('p1'), agent('p2')], { members, meshKey });
    // 40 kB: too large to ride inline, so p2 must fetch it from p1 (and keep it: keepInputs defaults to true).
    const big = fn('big', [], "() => 'x'.repeat(40000)", { node: { tags: ['producer'] } });
    const use = fn('use', ['big'], '(s) => s.length', { node: { tags: ['consumer'] } });
    const first = mesh.coordinator.submit([big, use]);
    expect((await first.done).status).toBe('succeeded');
    expect(first.record('big').peer).toBe('p1');
    expect(first.record('use').peer).toBe('p2');
    const bigHash = first.record('big').hash;
    // The consumer's copy has a receipt of its own, for the digest the producer's receipt names.
    await expect.poll(() => books.p2.get(bigHash)).toBeDefined();
    const copy = books.p2.get(bigHash)!;
    expect(copy).toMatchObject({ hash: bigHash, verified: false, issuer: 'coord' });
    expect(new ReceiptIssuer(meshKey, 'coord').check(bigHash, copy)).toBe('ok');
    expect(copy.digest).toEqual(books.p1.get(bigHash)!.digest);

    // The producer dies, the coordinator restarts (same mesh key, no digests recorded) and p2 announces.
    await mesh.kill('p1');
    const restarted = await restartCoordinator(mesh, closers, 'p2');
    await expect.poll(() => [...restarted.holders(bigHash)]).toEqual(['p2']);
    const again = restarted.submit([fn('big', [], "() => 'x'.repeat(40000)")]);
    const summary = await again.done;
    expect(summary.functions.map((r) => [r.id, r.cached, r.peer])).toEqual([['big', true, 'p2']]);
    expect(await again.result('big')).toBe('x'.repeat(40000));
  });
});

describe('receipts from before issue times (no issuedAt)', () => {
  let mesh: TestMesh | undefined;
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of closers.splice(0).reverse()) await c();
    await mesh?.close();
    mesh = undefined;
  });

  /** A receipt as coordinators issued them before expiry: the MAC over hash, digest, verified and issuer only. */
  function legacy(r: ResultReceipt): ResultReceipt {
    const text = `${r.hash}\0${bytesToHex(r.digest)}\0${r.verified ? 1 : 0}\0${r.issuer}`;
    const mac = hmac(sha256, receiptKey(meshKey), new TextEncoder().encode(text)).subarray(0, 16);
    return { hash: r.hash, digest: r.digest, verified: r.verified, issuer: r.issuer, mac };
  }

  it('are bare claims under a finite TTL: the result is recomputed once and its holder gets a receipt with an issue time', async () => {
    const book = new ReceiptBook();
    mesh = createTestMesh(
      [{ id: 'p1', options: { members, fetchKey: holderKey(meshKey, 'p1'), receipts: book } }],
      { members, meshKey },
    );
    const big = fn('big', [], "() => 'x'.repeat(40000)");
    const first = mesh.coordinator.submit([big]);
    expect((await first.done).status).toBe('succeeded');
    const bigHash = first.record('big').hash;
    await expect.poll(() => book.get(bigHash)).toBeDefined();
    // The peer holds the result under a receipt from before the upgrade instead (authentic: it checks forever).
    const old = legacy(book.get(bigHash)!);
    expect(new ReceiptIssuer(meshKey, 'coord', { ttlMs: Number.POSITIVE_INFINITY }).check(bigHash, old)).toBe(
      'ok',
    );
    book.forget(bigHash);
    book.keep(old);
    // The book no longer shows it (coordinators would not believe it), and a new book would not load it.
    expect(book.for([bigHash])).toEqual([]);

    const restarted = await restartCoordinator(mesh, closers, 'p1');
    expect(restarted.holders(bigHash)).toEqual([]);
    expect(restarted.refusals().get('peer:status receipt')).toBeUndefined();

    // One recompute, and the result's holder gets a receipt with an issue time, which the next restart believes.
    const again = restarted.submit([big]);
    const summary = await again.done;
    expect(summary.functions.map((r) => [r.id, r.cached])).toEqual([['big', false]]);
    await expect.poll(() => book.get(bigHash)?.issuedAt).toBeTypeOf('number');
    expect(new ReceiptIssuer(meshKey, 'coord').check(bigHash, book.get(bigHash)!)).toBe('ok');
  });
});

describe('the receipt book on disk', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('keeps receipts across reopening, skips damaged lines and drops receipts of results no longer held', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'handout-receipt-book-'));
    dirs.push(dir);
    const issuer = new ReceiptIssuer(meshKey, 'coord');
    const open = () =>
      new ReceiptBook({
        persistence: openJsonLines(dir, 'receipts.jsonl', (e) => {
          throw e;
        }),
      });
    const book = open();
    await book.load();
    for (const h of ['a', 'b', 'c']) book.keep(issuer.issue(h.repeat(64), digest, h === 'a'));
    await book.close();
    writeFileSync(
      join(dir, 'receipts.jsonl'),
      `${readFileSync(join(dir, 'receipts.jsonl'), 'utf8')}{"hash":"d`,
    );

    const reopened = open();
    await reopened.load(new Set(['a'.repeat(64), 'b'.repeat(64)]));
    expect(reopened.size).toBe(2);
    const a = reopened.get('a'.repeat(64))!;
    expect(a.verified).toBe(true);
    expect(issuer.check(a.hash, a)).toBe('ok');
    expect(reopened.get('c'.repeat(64))).toBeUndefined();
    await reopened.close();
    // The load compacted the file to what it kept.
    expect(readFileSync(join(dir, 'receipts.jsonl'), 'utf8').trim().split('\n')).toHaveLength(2);
  });

  it('drops expired receipts at load and at compaction, and renews a receipt only past half its life', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'handout-receipt-ttl-'));
    dirs.push(dir);
    let now = 1_000_000;
    const issuer = new ReceiptIssuer(meshKey, 'coord', { now: () => now });
    const file = () =>
      openJsonLines(dir, 'receipts.jsonl', (e) => {
        throw e;
      });
    const book = new ReceiptBook({ persistence: file(), ttlMs: 10_000, now: () => now });
    await book.load();
    book.keep(issuer.issue('a'.repeat(64), digest, false));
    now += 4000;
    book.keep(issuer.issue('b'.repeat(64), digest, false));
    // The same receipt again before half its life: not written again.
    book.keep(issuer.issue('a'.repeat(64), digest, false));
    expect(book.get('a'.repeat(64))?.issuedAt).toBe(1_000_000);
    await book.close();
    expect(readFileSync(join(dir, 'receipts.jsonl'), 'utf8').trim().split('\n')).toHaveLength(2);
    now += 7000; // a is 11 s old (expired), b 7 s
    const reopened = new ReceiptBook({ persistence: file(), ttlMs: 10_000, now: () => now });
    await reopened.load();
    expect(reopened.get('a'.repeat(64))).toBeUndefined();
    expect(reopened.for(['b'.repeat(64)])).toHaveLength(1);
    // A renewal past half its life replaces the old receipt.
    reopened.keep(issuer.issue('b'.repeat(64), digest, false));
    expect(reopened.get('b'.repeat(64))?.issuedAt).toBe(now);
    await reopened.close();
    const lines = readFileSync(join(dir, 'receipts.jsonl'), 'utf8').trim().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as { hash: string }).hash[0])).toEqual(['b', 'b']);
  });

  it('never replaces a verified receipt by an unverified one for the same bytes', () => {
    const issuer = new ReceiptIssuer(meshKey, 'coord');
    const book = new ReceiptBook();
    book.keep(issuer.issue('a'.repeat(64), digest, true));
    book.keep(issuer.issue('a'.repeat(64), digest, false));
    expect(book.get('a'.repeat(64))?.verified).toBe(true);
  });
});
