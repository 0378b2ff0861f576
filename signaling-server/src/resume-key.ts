/**
 * Resume keys: a random secret handed to a peer in its welcome, presented on reconnect to take its id back.
 * Registries keep only its SHA-256, so neither a heap dump nor a Redis dump hands out the keys themselves.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

export function hashResumeKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** Constant-time comparison of two hex hashes (of equal length when they can match). */
export function sameSecretHash(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}
