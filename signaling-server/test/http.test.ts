import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join as joinPath } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, join, startServer } from './helpers.js';

afterEach(cleanup);

describe('http endpoints', () => {
  it('GET /health reports ok with peer and mesh counts', async () => {
    const server = await startServer();
    await join(server, { peerId: 'a', mesh: 'm1' });
    await join(server, { peerId: 'b', mesh: 'm1' });
    await join(server, { peerId: 'c', mesh: 'm2' });
    const res = await fetch(`${server.url}/health`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.json()).toMatchObject({ ok: true, peers: 3, connectedPeers: 3, meshes: 2 });
  });

  it('GET /metrics reports peers, meshes, signals relayed and refusals in Prometheus text', async () => {
    const server = await startServer();
    const a = await join(server, { peerId: 'a' });
    await join(server, { peerId: 'b' });
    await a.sendSignalAndWait('b', { type: 'offer', sdp: 'v=0' });
    await join(server, { peerId: 'a' }).catch(() => {});
    const res = await fetch(`${server.url}/metrics`);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    expect(text).toContain('# TYPE handout_signaling_peers gauge');
    expect(text).toContain('handout_signaling_peers{state="connected"} 2');
    expect(text).toContain('handout_signaling_meshes 1');
    expect(text).toContain('handout_signaling_signals_relayed_total 1');
    expect(text).toContain('handout_signaling_refusals_total{reason="peer-id-taken"} 1');
    // Every sample line is `name{labels} value` (values may be floats: process and runtime metrics, histograms).
    for (const line of text
      .trim()
      .split('\n')
      .filter((l) => l !== '' && !l.startsWith('#'))) {
      expect(line).toMatch(
        /^[a-z_:][a-z0-9_:]*(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? (-?[\d.]+(e[-+]?\d+)?|[-+]Inf|NaN)$/i,
      );
    }
    // One TYPE per metric name: the server's own counters and prom-client's never collide.
    const types = text.split('\n').filter((l) => l.startsWith('# TYPE '));
    expect(new Set(types.map((l) => l.split(' ')[2])).size).toBe(types.length);
    // Process and runtime metrics, and the admission histogram (two joins were admitted, one refused).
    expect(text).toMatch(/^process_cpu_seconds_total \d/m);
    expect(text).toMatch(/^nodejs_heap_size_used_bytes \d/m);
    expect(text).toContain('handout_signaling_admission_seconds_count{outcome="admitted"} 2');
    expect(text).toContain('handout_signaling_admission_seconds_count{outcome="peer-id-taken"} 1');
  });

  it('serves files of the static directory and nothing outside it', async () => {
    const dir = await mkdtemp(joinPath(tmpdir(), 'handout-static-'));
    try {
      await writeFile(joinPath(dir, 'index.html'), '<h1>demo</h1>');
      await writeFile(joinPath(dir, 'app.js'), 'export {}');
      const server = await startServer({ staticDir: dir });
      const index = await fetch(`${server.url}/`);
      expect(index.headers.get('content-type')).toMatch(/text\/html/);
      expect(await index.text()).toBe('<h1>demo</h1>');
      expect((await fetch(`${server.url}/app.js`)).headers.get('content-type')).toMatch(/javascript/);
      expect((await fetch(`${server.url}/missing.js`)).status).toBe(404);
      expect((await fetch(`${server.url}/..%2f..%2fetc%2fpasswd`)).status).toBe(404);
    } finally {
      await rm(dir, { recursive: true });
    }
  });

  it('binds 127.0.0.1 by default and frees its port on close', async () => {
    const server = await startServer();
    expect(server.host).toBe('127.0.0.1');
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
    await server.close();
    await expect(fetch(`${server.url}/health`)).rejects.toThrow();
  });
});
