/**
 * `process.nextTick` for browsers. simple-peer's data channel is a readable-stream v3 Duplex, which schedules its
 * 'readable'/'data' events and its teardown with `process.nextTick`; browsers have no `process`, so the first
 * buffered message would throw a ReferenceError. Bundlers stopped injecting Node globals (webpack 5, Vite), so
 * the runtime brings the one function it needs. It defines only what is missing, marks itself `browser: true`
 * (what `process` detectors check), and never touches a `process` a page already has.
 */
type Tick = (callback: (...args: unknown[]) => void, ...args: unknown[]) => void;

interface ProcessLike {
  nextTick?: Tick;
  env?: Record<string, string | undefined>;
  browser?: boolean;
}

const nextTick: Tick = (callback, ...args) => queueMicrotask(() => callback(...args));
const scope = globalThis as { process?: ProcessLike };

if (scope.process === undefined) scope.process = { nextTick, env: {}, browser: true };
else if (typeof scope.process.nextTick !== 'function') scope.process.nextTick = nextTick;

export {};
