/**
 * The global names a function may use and still run anywhere, and the only ones the sandbox gives it: present in Node 20 `worker_threads` AND in browser
 * dedicated Web Workers (checked against Node 20.19 and current Chrome/Firefox/Safari).
 *
 * Deliberately left out:
 * - Node-only: `require`, `module`, `exports`, `process`, `Buffer`, `global`, `__dirname`, `__filename`,
 *   `setImmediate`, `clearImmediate`.
 * - Browser-only or page-only: `window`, `document`, `self`, `navigator` (Node >= 21 only), `location`,
 *   `localStorage`, `importScripts`, `postMessage`, `WebSocket` (Node >= 22 only), `Iterator` (Node >= 22 only).
 * - Not portable in practice: `SharedArrayBuffer` (browsers need cross-origin isolation).
 * - What the sandbox withholds (worker/sandbox.ts): the network (`fetch`, `Request`, `Response`, `Headers`,
 *   `FormData`; `WebSocket` and `XMLHttpRequest` were never here), channels to other workers and pages
 *   (`BroadcastChannel`), and repeating timers (`setInterval`, `clearInterval`: a pure function needs at most a
 *   `setTimeout` to wait). A function is a pure computation on its inputs.
 * - Code from strings: `eval`, `Function` — code that builds code defeats the free-variable check and content
 *   hashing (the hash covers the text, not what the text builds).
 * A free identifier used only as `typeof x` is accepted whatever it is, because `typeof` of an undeclared name is
 * `'undefined'` rather than an error — the usual way to feature-detect.
 */
export const PORTABLE_GLOBALS: ReadonlySet<string> = new Set([
  // ECMAScript values and functions
  'globalThis',
  'undefined',
  'NaN',
  'Infinity',
  'isFinite',
  'isNaN',
  'parseFloat',
  'parseInt',
  'decodeURI',
  'decodeURIComponent',
  'encodeURI',
  'encodeURIComponent',
  // ECMAScript constructors and namespaces
  'Object',
  'Array',
  'Boolean',
  'Number',
  'BigInt',
  'String',
  'Symbol',
  'Date',
  'RegExp',
  'Map',
  'Set',
  'WeakMap',
  'WeakSet',
  'WeakRef',
  'FinalizationRegistry',
  'Promise',
  'Proxy',
  'Reflect',
  'JSON',
  'Math',
  'Intl',
  'Atomics',
  'Error',
  'AggregateError',
  'EvalError',
  'RangeError',
  'ReferenceError',
  'SyntaxError',
  'TypeError',
  'URIError',
  'ArrayBuffer',
  'DataView',
  'Int8Array',
  'Uint8Array',
  'Uint8ClampedArray',
  'Int16Array',
  'Uint16Array',
  'Int32Array',
  'Uint32Array',
  'Float32Array',
  'Float64Array',
  'BigInt64Array',
  'BigUint64Array',
  'WebAssembly',
  // Web platform APIs that Node 20 also provides as globals
  'console',
  'setTimeout',
  'clearTimeout',
  'queueMicrotask',
  'structuredClone',
  'atob',
  'btoa',
  'crypto',
  'performance',
  'TextEncoder',
  'TextDecoder',
  'TextEncoderStream',
  'TextDecoderStream',
  'URL',
  'URLSearchParams',
  'AbortController',
  'AbortSignal',
  'Event',
  'EventTarget',
  'DOMException',
  'MessageChannel',
  'MessagePort',
  'Blob',
  'File',
  'ReadableStream',
  'WritableStream',
  'TransformStream',
  'CompressionStream',
  'DecompressionStream',
]);
