/**
 * Metrics scraped from real processes (run inside test/netns/run.sh): `handout peer --metrics-port` on a
 * contributing peer and on a coordinator, and the signaling server's `/metrics`, after a run that succeeds and
 * a function that fails.
 */
import type { DagJSON, FunctionSpec } from '@handout/peer-runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectSignaling } from '../../peer-runtime/src/signaling/client.js';
import { nodeRtc } from '../../peer-runtime/src/transport/rtc.node.js';
import { createWebRtcTransport } from '../../peer-runtime/src/transport/webrtc.js';
import { connect, type Mesh } from '../../sdk/src/connect.js';
import { type MeshHarness, type PeerProcess, startMeshHarness } from '../harness/mesh-harness.js';

const dagOf = (functions: FunctionSpec[]): DagJSON => ({ format: 'handout-dag', version: 1, functions });
const on = (peer: string, id: string, source: string, args: string[] = []): FunctionSpec => ({
  id,
  args,
  code: { kind: 'source', source },
  node: { peer },
});

/** The value of one sample (`name{labels} value`), or undefined when the exposition has none. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name) || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const present = m[2] ?? '';
    if (Object.entries(labels).every(([k, v]) => present.includes(`${k}="${v}"`))) return Number(m[3]);
  }
  return undefined;
}

async function metricsUrl(p: PeerProcess): Promise<string> {
  const line = await p.waitFor((l) => l.event === 'metrics', 30_000);
  return String(line.url);
}

describe('metrics of handout peer processes and the signaling server', () => {
  let h: MeshHarness;
  let mesh: Mesh;
  let workerUrl: string;
  let coordinatorUrl: string;

  beforeAll(async () => {
    h = await startMeshHarness({ mesh: 'metrics-test' });
    const co = h.spawnPeer({
      id: 'co',
      roles: ['coordinate'],
      flags: ['--coordinator', '--wait-timeout', '5', '--metrics-port', '0'],
    });
    const w = h.spawnPeer({
      id: 'w1',
      flags: ['--concurrency', '1', '--speed', '1', '--metrics-port', '0', '--label', 'lab box 3'],
    });
    await h.waitForMembers(['co', 'w1']);
    [coordinatorUrl, workerUrl] = await Promise.all([metricsUrl(co), metricsUrl(w)]);
    mesh = await connect({ signal: h.server.url, token: h.token(['submit'], 'submitter') });
  }, 120_000);

  afterAll(async () => {
    await mesh?.close();
    await h?.close();
  });

  it('a peer counts the functions it ran and failed, the bytes per link, and has process and runtime metrics', async () => {
    const before = await (await fetch(workerUrl)).text();
    const okBefore = sample(before, 'handout_peer_functions_total', { outcome: 'succeeded' }) ?? 0;
    const summary = await mesh.submit(
      dagOf([
        on('w1', 'a', '() => "x".repeat(100000)'),
        on('w1', 'b', '(s) => s.length', ['a']),
        on('w1', 'bad', '() => { throw new Error("no") }'),
      ]),
    ).done;
    expect(summary.status).toBe('failed');
    const res = await fetch(workerUrl);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    expect(sample(text, 'handout_peer_functions_total', { outcome: 'succeeded', peer: 'w1' })).toBe(
      okBefore + 2,
    );
    expect(sample(text, 'handout_peer_functions_total', { outcome: 'threw' })).toBe(1);
    expect(sample(text, 'handout_peer_slots')).toBe(1);
    expect(sample(text, 'handout_peer_functions_running')).toBe(0);
    // The coordinator's assignments and the results sent back travelled on the link to 'co'.
    expect(sample(text, 'handout_link_bytes_received_total', { remote: 'co' })).toBeGreaterThan(0);
    expect(sample(text, 'handout_link_bytes_sent_total', { remote: 'co' })).toBeGreaterThan(0);
    expect(sample(text, 'handout_links_open')).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'handout_cache_entries')).toBeGreaterThanOrEqual(2);
    // prom-client's defaults: CPU, memory, event loop.
    expect(sample(text, 'process_cpu_seconds_total')).toBeGreaterThan(0);
    expect(sample(text, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(text).toContain('nodejs_eventloop_lag_seconds');
    expect((await fetch(workerUrl.replace('/metrics', '/other'))).status).toBe(404);
  }, 60_000);

  it("a peer's label and its process load (CPU share, memory) reach every member through the server", async () => {
    await h.waitForMembers(
      ['w1'],
      (p) => p.state.memoryMB !== undefined && p.state.cpu !== undefined,
      30_000,
    );
    const w1 = (await h.server.peers('metrics-test')).find((p) => p.peerId === 'w1')!;
    expect(w1.capabilities.label).toBe('lab box 3');
    expect(w1.state.cpu).toBeGreaterThanOrEqual(0);
    expect(w1.state.cpu).toBeLessThanOrEqual(1);
    // A Node peer with a worker pool resident: tens of MiB at least, far from the validator's bound.
    expect(w1.state.memoryMB).toBeGreaterThan(20);
    expect(w1.state.memoryMB).toBeLessThan(64 * 1024);
  }, 60_000);

  it('a coordinator counts its runs by status, and the server has runtime metrics and admission histograms', async () => {
    await mesh.submit(dagOf([on('w1', 'c', '() => 1')])).done;
    const text = await (await fetch(coordinatorUrl)).text();
    expect(sample(text, 'handout_coordinator_runs_total', { status: 'succeeded' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'handout_coordinator_runs_total', { status: 'failed' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'handout_coordinator_queue_depth')).toBe(0);
    expect(sample(text, 'handout_coordinator_peers')).toBeGreaterThanOrEqual(1);
    const server = await (await fetch(`${h.server.url}/metrics`)).text();
    expect(sample(server, 'handout_signaling_connections_total')).toBeGreaterThanOrEqual(3);
    expect(
      sample(server, 'handout_signaling_admission_seconds_count', { outcome: 'admitted' }),
    ).toBeGreaterThanOrEqual(3);
    expect(sample(server, 'process_cpu_seconds_total')).toBeGreaterThan(0);
  }, 60_000);

  it('refused messages are counted in /metrics by side, kind and missing check, without a peer label', async () => {
    // A stranger with a contribute-only token, over real WebRTC from this process: it sends a task:assign to
    // the worker (needs coordinate) and two dag:submits to the coordinator (need submit).
    const signaling = await connectSignaling({
      url: h.server.url,
      token: h.token(['contribute'], 'stranger'),
      peerId: 'stranger',
      capabilities: {
        platform: 'node',
        cores: 1,
        memoryMB: 512,
        gpu: false,
        tags: [],
        costRate: 0,
        speed: 1,
      },
      state: { running: 0, slots: 0, paused: true },
    });
    const transport = createWebRtcTransport({
      peerId: 'stranger',
      signals: signaling,
      directory: signaling,
      rtc: nodeRtc(),
    });
    try {
      await h.waitForMembers(['stranger']);
      const spec = { id: 'x', args: [], code: { kind: 'source' as const, source: '() => 1' } };
      await transport.send('w1', {
        type: 'task:assign',
        runId: 'r',
        assignments: [{ functionId: 'x', hash: 'e'.repeat(64), attempt: 1, spec, inputs: [] }],
      });
      for (const runId of ['s1', 's2'])
        await transport.send('co', {
          type: 'dag:submit',
          runId,
          dag: { format: 'handout-dag', version: 1, functions: [spec] },
          options: {},
        });
      const refused = async (url: string, labels: Record<string, string>) =>
        sample(await (await fetch(url)).text(), 'handout_refusals_total', labels);
      await expect
        .poll(() => refused(workerUrl, { side: 'agent', kind: 'task:assign', missing: 'coordinate' }), {
          timeout: 20_000,
        })
        .toBe(1);
      await expect
        .poll(() => refused(coordinatorUrl, { side: 'coordinator', kind: 'dag:submit', missing: 'submit' }), {
          timeout: 20_000,
        })
        .toBe(2);
      const text = await (await fetch(coordinatorUrl)).text();
      const lines = text.split('\n').filter((l) => l.startsWith('handout_refusals_total{'));
      for (const line of lines) expect(line).not.toContain('stranger');
    } finally {
      await transport.close();
      await signaling.close();
    }
  }, 60_000);
});
