/**
 * socket.io's decoder, hardened so that every bad packet gets an answer with a reason instead of a silent close.
 * socket.io closes the whole connection, with no reason, when a packet does not decode (a non-object handshake,
 * bad JSON, an unexpected packet type). This decoder turns such packets, and packets over the size limits, into
 * synthetic ones the server answers normally:
 *
 * - a bad or oversized handshake (CONNECT) becomes a CONNECT whose auth carries `BAD_HANDSHAKE`: the admission
 *   middleware refuses it with `handshake-too-large` or `bad-handshake` (a `connect_error` the client reads);
 * - a bad or oversized event becomes an event named `MALFORMED` (a Symbol, which no client can send) carrying
 *   the error: the event middleware rejects it with `payload-too-large` or `malformed-packet`.
 *
 * An oversized packet is never JSON-parsed. Packets over the transport limit (`maxHttpBufferSize`) never get
 * here: the WebSocket is closed with code 1009 ("message too big"), which the client reports as such.
 */
import { Decoder, Encoder, type Packet, PacketType } from 'socket.io-parser';

/** Key of the synthetic auth object of a handshake that could not be taken as sent. */
export const BAD_HANDSHAKE: unique symbol = Symbol('handout.badHandshake');
/** Name of the synthetic event standing for a packet that could not be taken as sent. */
export const MALFORMED: unique symbol = Symbol('handout.malformed');

export interface PacketProblem {
  readonly code: 'payload-too-large' | 'malformed-packet';
  readonly message: string;
}

export interface PacketLimits {
  /** Largest CONNECT packet (the handshake), in UTF-16 units of the packet text. */
  readonly handshakeBytes: number;
  /** Largest EVENT packet. */
  readonly eventBytes: number;
}

interface Header {
  readonly type: number;
  readonly nsp: string;
  readonly id?: number;
}

// `<type>[<attachments>-][<nsp>,][<id>]<json>`, read only from the first characters: enough to answer a packet
// that is too large or does not decode, without parsing it.
const HEADER = /^([0-6])(?:\d+-)?(\/[^,]{0,255},)?(\d{1,15})?/;

function readHeader(text: string): Header | undefined {
  const m = HEADER.exec(text.slice(0, 300));
  if (!m) return undefined;
  const header: { type: number; nsp: string; id?: number } = {
    type: Number(m[1]),
    nsp: m[2] ? m[2].slice(0, -1) : '/',
  };
  if (m[3] !== undefined) header.id = Number(m[3]);
  return header;
}

const kib = (n: number) => `${Math.ceil(n / 1024)} KiB`;

/** Why a raw packet is refused before decoding, or undefined to decode it. */
function screen(obj: unknown, header: Header | undefined, limits: PacketLimits): PacketProblem | undefined {
  // Binary frames: attachments of BINARY_EVENT packets, which the signaling protocol never uses.
  if (typeof obj !== 'string') return { code: 'malformed-packet', message: 'binary data is not accepted' };
  if (!header) return { code: 'malformed-packet', message: 'not a socket.io packet' };
  const limit = header.type === PacketType.CONNECT ? limits.handshakeBytes : limits.eventBytes;
  if (obj.length > limit) {
    const what = header.type === PacketType.CONNECT ? 'the handshake' : 'the event';
    return {
      code: 'payload-too-large',
      message: `${what} is ${kib(obj.length)}, over the limit of ${kib(limit)}`,
    };
  }
  if (header.type === PacketType.BINARY_EVENT || header.type === PacketType.BINARY_ACK)
    return { code: 'malformed-packet', message: 'binary events are not part of the signaling protocol' };
  if (header.type === PacketType.CONNECT_ERROR)
    return { code: 'malformed-packet', message: 'a client does not send CONNECT_ERROR packets' };
  return undefined;
}

/** A parser (socket.io's `parser` option) enforcing `limits`; one decoder is made per connection. */
export function hardenedParser(limits: PacketLimits): { Encoder: typeof Encoder; Decoder: typeof Decoder } {
  class HardenedDecoder extends Decoder {
    /** Namespaces this connection has sent a handshake for: events elsewhere are answered as a bad handshake. */
    private readonly handshaken = new Set<string>();

    override add(obj: unknown): void {
      const header = typeof obj === 'string' ? readHeader(obj) : undefined;
      const refused = screen(obj, header, limits);
      if (refused) {
        this.problem(header ?? { type: PacketType.EVENT, nsp: '/' }, refused);
        return;
      }
      try {
        super.add(obj);
      } catch (e) {
        const message =
          header?.type === PacketType.CONNECT
            ? 'the handshake (auth) is not a JSON object'
            : `the packet does not decode (${(e as Error).message})`;
        this.problem(header!, { code: 'malformed-packet', message });
        return;
      }
      if (header?.type === PacketType.CONNECT) this.handshaken.add(header.nsp);
    }

    private problem(header: Header, problem: PacketProblem): void {
      let packet: Packet;
      if (header.type === PacketType.CONNECT || !this.handshaken.has(header.nsp)) {
        // Before (or as) the handshake: answer it as a refused handshake, the only answer a client waits for.
        this.handshaken.add(header.nsp);
        packet = { type: PacketType.CONNECT, nsp: header.nsp, data: { [BAD_HANDSHAKE]: problem } };
      } else {
        packet = { type: PacketType.EVENT, nsp: header.nsp, data: [MALFORMED, problem] };
        if (header.id !== undefined) packet.id = header.id;
      }
      this.emitReserved('decoded', packet);
    }
  }
  return { Encoder, Decoder: HardenedDecoder };
}

/** The problem a synthetic handshake carries, if `auth` is one. */
export function handshakeProblem(auth: unknown): PacketProblem | undefined {
  if (typeof auth !== 'object' || auth === null) return undefined;
  return (auth as { [BAD_HANDSHAKE]?: PacketProblem })[BAD_HANDSHAKE];
}
