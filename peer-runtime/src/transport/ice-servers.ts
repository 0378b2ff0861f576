/**
 * ICE servers written as one line each, the form flags, environment variables and page URLs carry:
 *
 *   stun:relay.internal:3478   (hosts here are your own relay; no public server is a default)
 *   turn:alice:s3cret@turn.example.org:3478?transport=tcp
 *   turns:alice:s3cret@turn.example.org:5349
 *
 * Credentials sit before `@`, the username and password each percent-encoded (`%3A` for a `:` inside a TURN
 * REST username). Several lines joined by commas make a list. A TURN server without credentials is refused here:
 * every WebRTC stack would refuse it later, with a message naming no flag.
 */

/** An `RTCIceServer` as this module makes it (urls always a one-item list). */
export interface IceServerEntry {
  readonly urls: string[];
  readonly username?: string;
  readonly credential?: string;
}

const ENTRY =
  /^(stuns?|turns?):(?:([^:@]*):([^@]*)@)?([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(:\d{1,5})?(\?transport=(?:udp|tcp))?$/;

/** Thrown for an entry that is not an ICE server; `entry` is the text at fault. */
export class IceServerSyntaxError extends TypeError {
  override name = 'IceServerSyntaxError';
  constructor(
    readonly entry: string,
    message: string,
  ) {
    super(message);
  }
}

/** One entry (see the module header). Throws IceServerSyntaxError naming the entry. */
export function parseIceServer(text: string): IceServerEntry {
  const entry = text.trim();
  const m = ENTRY.exec(entry);
  if (!m)
    throw new IceServerSyntaxError(
      entry,
      `'${entry}' is not an ICE server (stun:host:port, turn:user:password@host:port[?transport=tcp], turns:...)`,
    );
  const [, scheme, user, password, host, port = '', transport = ''] = m as unknown as string[];
  const isTurn = scheme!.startsWith('turn');
  const urls = [`${scheme}:${host}${port}${transport}`];
  if (user === undefined || user === '') {
    if (isTurn)
      throw new IceServerSyntaxError(
        entry,
        `'${entry}': a TURN server needs credentials (turn:user:password@host:port), or let the signaling server hand them out (handout signal --turn-secret)`,
      );
    return { urls };
  }
  if (!isTurn) throw new IceServerSyntaxError(entry, `'${entry}': a STUN server takes no credentials`);
  try {
    return { urls, username: decodeURIComponent(user), credential: decodeURIComponent(password ?? '') };
  } catch {
    throw new IceServerSyntaxError(entry, `'${entry}': the credentials are not valid percent-encoding`);
  }
}

/** `a,b,c` (or a list of such texts): every entry, in order; blank items are dropped. */
export function parseIceServers(texts: string | readonly string[]): IceServerEntry[] {
  const all = typeof texts === 'string' ? [texts] : texts;
  return all
    .flatMap((t) => t.split(','))
    .map((t) => t.trim())
    .filter((t) => t !== '')
    .map(parseIceServer);
}
