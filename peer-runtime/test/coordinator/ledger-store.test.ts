/**
 * The trust ledger kept on disk (coordinator/ledger-store.ts over platform/json-files.node.ts): a quarantine
 * survives closing and reopening, a damaged or foreign file starts a clean ledger (reported), and a saved record
 * with counts that are not counts is dropped rather than believed.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LedgerStore } from '../../src/coordinator/ledger-store.js';
import { TrustLedger } from '../../src/coordinator/trust-ledger.js';
import { openJsonFile } from '../../src/platform/json-files.node.js';

describe('the trust ledger on disk', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const dir = () => {
    const d = mkdtempSync(join(tmpdir(), 'handout-ledger-'));
    dirs.push(d);
    return d;
  };

  it('a quarantined peer is still quarantined after the ledger is closed and opened again', async () => {
    const d = dir();
    const errors: unknown[] = [];
    const file = () => openJsonFile(d, 'trust-ledger.json', (e) => errors.push(e));
    const ledger = new TrustLedger();
    const store = await LedgerStore.open(ledger, file(), { saveEveryMs: 5 });
    ledger.agreed('honest');
    ledger.disagreed('liar');
    expect(ledger.disagreed('liar')).toBe(true);
    await store.close();

    const reopened = new TrustLedger();
    const again = await LedgerStore.open(reopened, file());
    expect(reopened.quarantined('liar')).toBe(true);
    expect(reopened.record('liar')).toMatchObject({
      disagreements: 2,
      quarantineReason: expect.stringMatching(/disagreed/),
    });
    expect(reopened.record('honest')).toMatchObject({ agreements: 1, streak: 1 });
    expect(reopened.quarantined('honest')).toBe(false);
    await again.close();
    expect(errors).toEqual([]);
  });

  it('saves after a change without waiting for close (a SIGKILL loses at most the last interval)', async () => {
    const d = dir();
    const ledger = new TrustLedger();
    const store = await LedgerStore.open(
      ledger,
      openJsonFile(d, 'trust-ledger.json', () => {}),
      {
        saveEveryMs: 5,
      },
    );
    ledger.contradicted('boaster', 'speed 1000000 advertised, 1 measured');
    await expect
      .poll(() => {
        try {
          return JSON.parse(readFileSync(join(d, 'trust-ledger.json'), 'utf8'));
        } catch {
          return undefined;
        }
      })
      .toMatchObject({ version: 1, records: { boaster: { disagreements: 1, contradictions: 1 } } });
    await store.close();
  });

  it('a damaged file, or records that are not counts, start those peers clean', async () => {
    const d = dir();
    const errors: unknown[] = [];
    writeFileSync(join(d, 'trust-ledger.json'), '{"version":1,"rec');
    const ledger = new TrustLedger();
    await (
      await LedgerStore.open(
        ledger,
        openJsonFile(d, 'trust-ledger.json', (e) => errors.push(e)),
      )
    ).close();
    expect(Object.keys(ledger.snapshot())).toEqual([]);
    expect(String(errors[0])).toMatch(/damaged/);

    // Written as text: `__proto__` in an object literal would set a prototype, not name a peer.
    writeFileSync(
      join(d, 'trust-ledger.json'),
      `{"version":1,"records":{"good":{"agreements":3,"disagreements":0,"streak":3},` +
        `"bad":{"agreements":-1,"disagreements":"x","streak":0,"quarantinedAt":1},` +
        `"__proto__":{"agreements":0,"disagreements":2,"streak":0,"quarantinedAt":5}}}`,
    );
    const second = new TrustLedger();
    await (
      await LedgerStore.open(
        second,
        openJsonFile(d, 'trust-ledger.json', () => {}),
      )
    ).close();
    expect(second.record('good')).toMatchObject({ agreements: 3 });
    expect(second.quarantined('bad')).toBe(false);
    expect(second.quarantined('__proto__')).toBe(true);
  });
});
