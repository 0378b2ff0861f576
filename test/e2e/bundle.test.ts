import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, inject, it } from 'vitest';

describe('the demo build', () => {
  it('pulls no Node-only module into the browser bundle', () => {
    // demo/vite-plugin-browser-guard.ts prints one `[browser-guard]` line per Node-only import with the chain of
    // importers that brought it in; Vite's own "externalized for browser compatibility" warning says the same.
    const findings = inject('demoBuildLog')
      .split('\n')
      .filter(
        (line) => line.includes('[browser-guard]') || line.includes('externalized for browser compatibility'),
      )
      .map((line) => line.replace(/^\[plugin [^\]]+\]\s*/, ''));
    expect(findings).toEqual([]);
  });

  it('has the four pages and the worker entry', () => {
    const dist = inject('demoDist');
    const files = readdirSync(dist);
    for (const page of ['index.html', 'contribute.html', 'dashboard.html', 'showcase.html'])
      expect(files).toContain(page);
    const assets = readdirSync(`${dist}/assets`);
    expect(assets.some((f) => f.startsWith('worker.browser') && f.endsWith('.js'))).toBe(true);
  });

  it('carries the mesh client (the SDK connect and createMeshPeer), so the guard above has checked them too', () => {
    const dist = inject('demoDist');
    const code = readdirSync(`${dist}/assets`)
      .filter((f) => f.endsWith('.js'))
      .map((f) => readFileSync(`${dist}/assets/${f}`, 'utf8'))
      .join('\n');
    // Error names survive minification as string literals.
    expect(code).toContain('MeshConnectError');
    expect(code).toContain('CapabilityError');
  });
});
