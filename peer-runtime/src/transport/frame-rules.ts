/**
 * What the shared connection logic (framed-transport.ts) requires of messages, as pure functions: the lane a
 * message is sent on, and the hello that must open every connection.
 */
import { ProtocolError } from '../errors.js';
import type { SendLane } from '../protocol/framed-sender.js';
import { PROTOCOL_VERSION, type WireMessage } from '../protocol/messages.js';

/**
 * The sender's lane of a message (framed-sender.ts): a `result:data` answers one fetch and is matched by its
 * request id, so nothing depends on its order against other messages and it may be overtaken (`bulk`); every
 * other message keeps its order (`control`). A `batch` is control even when it holds a result:data, which is
 * why the mesh port sends large ones alone (mesh/port.ts).
 */
export function laneOf(message: WireMessage): SendLane {
  return message.type === 'result:data' ? 'bulk' : 'control';
}

/**
 * The first message on a connection must be the remote's hello, in our protocol version, from the peer we meant
 * (`peerId`); anything else is a ProtocolError naming the field.
 */
export function checkHello(peerId: string, message: WireMessage): void {
  if (message.type !== 'hello')
    throw new ProtocolError(`expected 'hello' first, got '${message.type}'`, 'type');
  if (message.version !== PROTOCOL_VERSION) {
    throw new ProtocolError(`protocol version ${message.version} is not ${PROTOCOL_VERSION}`, 'version');
  }
  if (message.peerId !== peerId) {
    throw new ProtocolError(`hello from '${message.peerId}' on the connection to '${peerId}'`, 'peerId');
  }
}
