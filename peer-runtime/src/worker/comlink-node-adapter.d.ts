/**
 * Types for comlink's ESM node adapter: the package ships `dist/esm/node-adapter.d.ts`, but NodeNext resolution
 * looks for `.d.mts` next to an `.mjs` file, so the deep import needs this declaration.
 */
declare module 'comlink/dist/esm/node-adapter.mjs' {
  import type { Endpoint } from 'comlink';

  export interface NodeEndpoint {
    postMessage(message: unknown, transfer?: readonly unknown[]): void;
    on(type: string, listener: (value: unknown) => void): void;
    off(type: string, listener: (value: unknown) => void): void;
    start?: () => void;
  }
  export default function nodeEndpoint(nep: NodeEndpoint): Endpoint;
}
