/**
 * The two Node globals simple-peer's dependencies read in browsers, where bundlers no longer inject them
 * (webpack 5, Vite, Rollup):
 * - `process.nextTick`: its data channel is a readable-stream v3 Duplex, which schedules 'readable'/'data' events
 *   and teardown with it; without it the first buffered message throws a ReferenceError;
 * - `global`: randombytes (simple-peer's connection ids) reads `global.crypto` when it loads.
 * Only what is missing is defined; a `process` the page already has is left alone, and the stand-in says
 * `browser: true` (what `process` detectors check). platform/browser.ts imports this first, and `#platform` is
 * the first import of the runtime's entry points, so it runs before simple-peer loads.
 */
type Tick = (callback: (...args: unknown[]) => void, ...args: unknown[]) => void;

interface ProcessLike {
  nextTick?: Tick;
  env?: Record<string, string | undefined>;
  browser?: boolean;
}

const nextTick: Tick = (callback, ...args) => queueMicrotask(() => callback(...args));
const scope = globalThis as { process?: ProcessLike; global?: unknown };

if (scope.process === undefined) scope.process = { nextTick, env: {}, browser: true };
else if (typeof scope.process.nextTick !== 'function') scope.process.nextTick = nextTick;
if (scope.global === undefined) scope.global = globalThis;

export {};
