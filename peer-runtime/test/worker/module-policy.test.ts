import { describe, expect, it } from 'vitest';
import { CapabilityError } from '../../src/peer/capabilities.js';
import { tagsForCodeTrust } from '../../src/peer/code-trust.js';
import { memoryCapFor } from '../../src/worker/memory-caps.js';
import { assertModulePrefixes, ModulePolicyError, moduleRefusal } from '../../src/worker/module-policy.js';

describe('module allow-lists', () => {
  const list = ['https://cdn.example/lib/', 'http://127.0.0.1:8000'];

  it('allows http(s) URLs under a listed prefix, at path boundaries only', () => {
    expect(moduleRefusal('https://cdn.example/lib/a.js', list)).toBeUndefined();
    expect(moduleRefusal('https://cdn.example/lib/deep/b.mjs?v=2', list)).toBeUndefined();
    expect(moduleRefusal('http://127.0.0.1:8000/any.js', list)).toBeUndefined();
    expect(moduleRefusal('https://cdn.example/library.js', list)).toMatch(/not under an origin/);
    expect(moduleRefusal('https://cdn.example/other/a.js', list)).toMatch(/not under an origin/);
  });

  it('refuses look-alike origins, other ports and schemes', () => {
    expect(moduleRefusal('https://cdn.example.evil.test/lib/a.js', list)).toMatch(/not under an origin/);
    expect(moduleRefusal('http://cdn.example/lib/a.js', list)).toMatch(/not under an origin/);
    expect(moduleRefusal('http://127.0.0.1:8001/a.js', list)).toMatch(/not under an origin/);
    expect(moduleRefusal('https://user@cdn.example.evil.test/lib/a.js', list)).toMatch(/not under an origin/);
  });

  it('never allows file:, data:, blob: or node: on a list, and refuses what is not a URL', () => {
    for (const url of [
      'file:///etc/passwd',
      'data:text/javascript,1',
      'blob:https://cdn.example/x',
      'node:fs',
    ]) {
      expect(moduleRefusal(url, ['https://cdn.example/', 'file:///']), url).toMatch(
        /never loaded on a mesh peer/,
      );
    }
    expect(moduleRefusal('./relative.js', list)).toMatch(/not an absolute URL/);
    expect(moduleRefusal('https://cdn.example/lib/a.js', [])).toMatch(/--allow-module/);
  });

  it("allows everything under 'any' (runLocal, a pool of one's own)", () => {
    expect(moduleRefusal('file:///home/me/mod.mjs', 'any')).toBeUndefined();
  });

  it('checks an operator list up front with a typed error naming the entry', () => {
    expect(() => assertModulePrefixes(['https://ok.example/'])).not.toThrow();
    expect(() => assertModulePrefixes(['cdn.example'])).toThrow(ModulePolicyError);
    expect(() => assertModulePrefixes(['data:x'])).toThrow(/'data:x' must be http: or https:/);
  });
});

describe('the trusted-code tag', () => {
  it('is added by trustCode and refused when set by hand on a sandboxed peer', () => {
    expect(tagsForCodeTrust(['eu'], true)).toEqual(['eu', 'trusted-code']);
    expect(tagsForCodeTrust(undefined, false)).toEqual([]);
    expect(tagsForCodeTrust(['trusted-code'], true)).toEqual(['trusted-code']);
    expect(() => tagsForCodeTrust(['trusted-code'], false)).toThrow(CapabilityError);
  });
});

describe('memory caps', () => {
  it('round cost.memoryMB up to a power of two of at least 32 MB', () => {
    expect([1, 32, 33, 100, 128, 129, 1000].map(memoryCapFor)).toEqual([32, 32, 64, 128, 128, 256, 1024]);
  });
});
