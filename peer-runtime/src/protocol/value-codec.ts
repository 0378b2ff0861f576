/**
 * The one encoding of result values, used by stores and by the wire. CBOR (cbor-x) carries typed arrays,
 * Maps, Dates, bigints and undefined without a JSON detour. `useRecords: false` keeps the output plain CBOR
 * that any decoder (and any version of ours) reads, at a small cost in size for repeated object shapes.
 */
import { Decoder, Encoder } from 'cbor-x';

const encoder = new Encoder({ useRecords: false, tagUint8Array: false });
const decoder = new Decoder({ useRecords: false });

export function encodeValue(value: unknown): Uint8Array {
  return encoder.encode(value);
}

export function decodeValue(bytes: Uint8Array): unknown {
  return decoder.decode(bytes);
}
