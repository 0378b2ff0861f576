import { describe, expect, it } from 'vitest';
import { CodeTable } from '../../src/worker/code-table.js';

describe('CodeTable', () => {
  it('gives each distinct code one id, and the definition workers are sent under it', () => {
    const codes = new CodeTable();
    const double = codes.idOf({ kind: 'source', source: '(x) => 2 * x' });
    const square = codes.idOf({ kind: 'source', source: '(x) => x * x' });
    const mod = codes.idOf({ kind: 'module', module: 'https://x.test/m.js', export: 'f' });
    const otherExport = codes.idOf({ kind: 'module', module: 'https://x.test/m.js', export: 'g' });
    expect(new Set([double, square, mod, otherExport]).size).toBe(4);
    expect(codes.idOf({ kind: 'source', source: '(x) => 2 * x' })).toBe(double);
    expect(codes.idOf({ kind: 'module', module: 'https://x.test/m.js', export: 'f' })).toBe(mod);
    expect(codes.def(square)).toEqual([square, { kind: 'source', source: '(x) => x * x' }]);
  });

  it("learns each code's time per call as a running mean over finished batches", () => {
    const codes = new CodeTable();
    const a = codes.idOf({ kind: 'source', source: 'a' });
    const b = codes.idOf({ kind: 'source', source: 'b' });
    expect(codes.meanMs(a)).toBeUndefined();
    codes.observe([{ codeId: a }, { codeId: a }, { codeId: a }, { codeId: a }], 8);
    expect(codes.meanMs(a)).toBe(2);
    codes.observe([{ codeId: a }], 12);
    expect(codes.meanMs(a)).toBeCloseTo(2 * 0.7 + 12 * 0.3, 12);
    // A batch mixing codes charges each an even share per call.
    codes.observe([{ codeId: b }, { codeId: b }, { codeId: a }, { codeId: a }], 4);
    expect(codes.meanMs(b)).toBe(1);
    expect(codes.meanMs(a)).toBeCloseTo((2 * 0.7 + 12 * 0.3) * 0.7 + 0.3, 12);
  });
});
