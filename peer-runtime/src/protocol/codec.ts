/**
 * Binary codec of wire messages: CBOR (cbor-x) for the structure, with large byte fields carried beside it as
 * attachments instead of inside it.
 *
 * Why attachments: cbor-x would copy a 64 MiB `bytes` field into a fresh 64 MiB output buffer, and on this
 * class of machine that copy (mostly page faults of the new buffer) costs 250–450 ms, a third of the time the
 * bytes take to cross a data channel. So an encoded message is a list of parts, sent frame by frame without
 * ever being joined:
 *
 *   [u32 BE header length][CBOR header][attachment 0][attachment 1]...
 *
 * The CBOR header is `[message, attachmentLengths]` where each byte field of at least ATTACH_MIN bytes is
 * replaced by CBOR tag ATTACHMENT_TAG around its index. The decoder gets the whole message as one buffer
 * (framing.ts reassembles it) and puts zero-copy views of it back in place of the tags.
 *
 * `useRecords: false` keeps the header plain CBOR (no cbor-x record extension), `tagUint8Array: false` sends a
 * Uint8Array as a plain byte string (it decodes as a Uint8Array, a Buffer in Node).
 */
import { addExtension, Decoder, Encoder } from 'cbor-x';
import { ProtocolError } from '../errors.js';
import type { WireMessage } from './messages.js';
import { validateMessage } from './messages-validate.js';

/** Byte fields at least this long travel as attachments. Smaller ones stay inline in the CBOR header. */
export const ATTACH_MIN = 4096;
/** An unassigned CBOR tag number ("ha" in ASCII), private to this protocol. */
const ATTACHMENT_TAG = 0x6861;
/** Most attachments one message may carry (a hostile header must not make us build huge arrays). */
const MAX_ATTACHMENTS = 100_000;

class AttachmentRef {
  constructor(readonly index: number) {}
}

addExtension({
  Class: AttachmentRef,
  tag: ATTACHMENT_TAG,
  encode: (ref: AttachmentRef, encode: (value: unknown) => Uint8Array) => encode(ref.index),
  decode: (index: unknown) => new AttachmentRef(typeof index === 'number' ? index : -1),
});

const encoder = new Encoder({ useRecords: false, tagUint8Array: false });
const decoder = new Decoder({ useRecords: false });

/** A message as a list of byte parts whose concatenation is the message's bytes. */
export interface EncodedMessage {
  readonly parts: readonly Uint8Array[];
  readonly byteLength: number;
}

/** Replaces large Uint8Arrays with AttachmentRefs, cloning only the objects on the way to one. */
function extract(value: unknown, attachments: Uint8Array[]): unknown {
  if (value instanceof Uint8Array) {
    if (value.byteLength < ATTACH_MIN) return value;
    attachments.push(value);
    return new AttachmentRef(attachments.length - 1);
  }
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const v = extract(value[i], attachments);
      if (v !== value[i]) {
        out ??= value.slice();
        out[i] = v;
      }
    }
    return out ?? value;
  }
  if (typeof value === 'object' && value !== null) {
    let out: Record<string, unknown> | undefined;
    // for-in over own keys, not Object.entries: every message passes through here, and an entries array per
    // object was a measurable share of the garbage at thousands of assignments a second.
    const record = value as Record<string, unknown>;
    for (const k in record) {
      if (!Object.hasOwn(record, k)) continue;
      const item = record[k];
      if (typeof item !== 'object' || item === null) continue; // scalars never hold attachments
      const v = extract(item, attachments);
      if (v !== item) {
        out ??= { ...value };
        out[k] = v;
      }
    }
    return out ?? value;
  }
  return value;
}

export function encodeMessage(message: WireMessage): EncodedMessage {
  const attachments: Uint8Array[] = [];
  const body = extract(message, attachments);
  const header = encoder.encode([body, attachments.map((a) => a.byteLength)]);
  const prefix = new Uint8Array(4);
  new DataView(prefix.buffer).setUint32(0, header.byteLength);
  const parts = [prefix, header, ...attachments];
  return { parts, byteLength: parts.reduce((n, p) => n + p.byteLength, 0) };
}

/** Joins the parts (tests and the in-memory paths use it; the framed sender never needs to). */
export function joinParts(encoded: EncodedMessage): Uint8Array {
  const out = new Uint8Array(encoded.byteLength);
  let at = 0;
  for (const p of encoded.parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

function restore(value: unknown, views: readonly Uint8Array[], used: Set<number>, depth: number): unknown {
  if (depth > 128) throw new ProtocolError('message nested more than 128 levels deep', 'message');
  if (value instanceof AttachmentRef) {
    const view = views[value.index];
    if (!view || used.has(value.index))
      throw new ProtocolError(`bad attachment reference ${value.index}`, 'attachment');
    used.add(value.index);
    return view;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = restore(value[i], views, used, depth + 1);
    return value;
  }
  if (typeof value === 'object' && value !== null && !(value instanceof Uint8Array)) {
    const o = value as Record<string, unknown>;
    for (const k of Object.keys(o)) o[k] = restore(o[k], views, used, depth + 1);
  }
  return value;
}

/** Decodes and validates one message. Byte fields are views into `bytes` (no copy). Throws ProtocolError. */
export function decodeMessage(bytes: Uint8Array): WireMessage {
  if (bytes.byteLength < 4)
    throw new ProtocolError(`message of ${bytes.byteLength} bytes is too short`, 'header');
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0);
  if (headerLength === 0 || 4 + headerLength > bytes.byteLength) {
    throw new ProtocolError(
      `header length ${headerLength} does not fit a message of ${bytes.byteLength} bytes`,
      'header',
    );
  }
  let decoded: unknown;
  try {
    decoded = decoder.decode(bytes.subarray(4, 4 + headerLength));
  } catch (err) {
    throw new ProtocolError(`undecodable CBOR header: ${(err as Error).message}`, 'header');
  }
  if (!Array.isArray(decoded) || decoded.length !== 2 || !Array.isArray(decoded[1])) {
    throw new ProtocolError('header must be [message, attachmentLengths]', 'header');
  }
  const lengths: unknown[] = decoded[1];
  if (lengths.length > MAX_ATTACHMENTS) throw new ProtocolError('too many attachments', 'attachment');
  const views: Uint8Array[] = [];
  let at = 4 + headerLength;
  for (const length of lengths) {
    if (
      typeof length !== 'number' ||
      !Number.isSafeInteger(length) ||
      length < 0 ||
      at + length > bytes.byteLength
    ) {
      throw new ProtocolError(`attachment length ${String(length)} overruns the message`, 'attachment');
    }
    views.push(bytes.subarray(at, at + length));
    at += length;
  }
  if (at !== bytes.byteLength) {
    throw new ProtocolError(`${bytes.byteLength - at} stray bytes after the attachments`, 'attachment');
  }
  const used = new Set<number>();
  const message = restore(decoded[0], views, used, 0);
  if (used.size !== views.length) throw new ProtocolError('an attachment is not referenced', 'attachment');
  return validateMessage(message);
}
