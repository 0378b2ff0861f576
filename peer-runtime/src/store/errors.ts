import { HandoutError } from '../errors.js';

/** A store was called with a key or value it cannot hold; `field` names the argument at fault. */
export class StoreInputError extends HandoutError {
  override name = 'StoreInputError';
  constructor(
    readonly field: 'hash' | 'bytes' | 'maxBytes' | 'dir' | 'name',
    message: string,
  ) {
    super(message);
  }
}

/** A store was used after `close()`. `store` names it (e.g. `disk:/var/cache/handout`). */
export class StoreClosedError extends HandoutError {
  override name = 'StoreClosedError';
  constructor(readonly store: string) {
    super(`result store ${store} is closed`);
  }
}

export function assertHash(hash: unknown): asserts hash is string {
  if (typeof hash !== 'string' || hash.length === 0) {
    throw new StoreInputError('hash', `hash must be a non-empty string, got ${describe(hash)}`);
  }
}

export function assertBytes(hash: string, bytes: unknown): asserts bytes is Uint8Array {
  if (!(bytes instanceof Uint8Array)) {
    throw new StoreInputError(
      'bytes',
      `value for hash '${hash}' must be a Uint8Array, got ${describe(bytes)}`,
    );
  }
}

export function assertMaxBytes(maxBytes: unknown): asserts maxBytes is number {
  if (typeof maxBytes !== 'number' || Number.isNaN(maxBytes) || maxBytes < 0) {
    throw new StoreInputError(
      'maxBytes',
      `maxBytes must be a non-negative number or Infinity, got ${describe(maxBytes)}`,
    );
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return value.constructor?.name ?? 'object';
  return `${typeof value} ${String(value).slice(0, 40)}`;
}
