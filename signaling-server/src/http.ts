/**
 * The plain HTTP side of the server: `GET /health` (JSON), `GET /metrics` (Prometheus text) and, when a
 * directory is given, its static files (the demo page). socket.io answers its own `/socket.io/` path first.
 */
import { readFile, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';
import { type SignalingMetrics, toPrometheus } from './metrics.js';

export interface HttpHandlerOptions {
  readonly metrics: () => SignalingMetrics;
  /** Process, runtime and histogram metrics (prom-client's text), appended to `/metrics`. Default: none. */
  readonly runtimeMetrics?: () => Promise<string>;
  readonly startedAt: number;
  readonly staticDir?: string;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.wasm': 'application/wasm',
  '.map': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
};

export function createHttpHandler(options: HttpHandlerOptions) {
  const root = options.staticDir ? resolve(options.staticDir) : undefined;

  const send = (res: ServerResponse, status: number, type: string, body: string | Uint8Array) => {
    res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
    res.end(body);
  };

  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return send(res, 405, 'text/plain', 'method not allowed\n');
    if (path === '/health') {
      const m = options.metrics();
      const body = {
        ok: true,
        uptimeSeconds: Math.round((Date.now() - options.startedAt) / 1000),
        peers: m.peers,
        connectedPeers: m.connectedPeers,
        meshes: m.meshes,
      };
      return send(res, 200, 'application/json', `${JSON.stringify(body)}\n`);
    }
    if (path === '/metrics') {
      const runtime = options.runtimeMetrics ? await options.runtimeMetrics() : '';
      return send(res, 200, 'text/plain; version=0.0.4', toPrometheus(options.metrics()) + runtime);
    }
    if (root) {
      const file = await staticFile(root, path);
      if (file)
        return send(res, 200, CONTENT_TYPES[extname(file.path)] ?? 'application/octet-stream', file.body);
    }
    send(res, 404, 'text/plain', 'not found\n');
  };
}

/** A file under `root` (never outside it: `..` and encoded slashes cannot climb out), or undefined. */
async function staticFile(
  root: string,
  urlPath: string,
): Promise<{ path: string; body: Uint8Array } | undefined> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0')) return undefined;
  let path = resolve(join(root, decoded));
  if (path !== root && !path.startsWith(root + sep)) return undefined;
  try {
    if ((await stat(path)).isDirectory()) path = join(path, 'index.html');
    return { path, body: await readFile(path) };
  } catch {
    return undefined;
  }
}
