/**
 * The mesh key given to coordinators in their welcome (`mesh:peers.meshKey`), which they use to MAC cache
 * receipts. HKDF-SHA256 of the server secret with the mesh name as `info`: the same after a coordinator restarts
 * and on every signaling process sharing the secret, different for every mesh, and telling nothing of the secret.
 * Rotating the secret (`secret`, not the extra `keys`) rotates every mesh key.
 */
import { hkdfSync } from 'node:crypto';
import { base64urlEncode } from '@handout/peer-runtime/signaling';

const SALT = 'handout/mesh-key/v1';

export function deriveMeshKey(secret: string, mesh: string): string {
  return base64urlEncode(new Uint8Array(hkdfSync('sha256', secret, SALT, mesh, 32)));
}

const FETCH_KEY_SALT = 'handout/fetch-key/v1';

/**
 * The fetch key of one member (`mesh:peers.fetchKey`): HKDF-SHA256 of the mesh key with the member's id as
 * `info`, the key it checks fetch tickets with. Coordinators derive the same from the mesh key
 * (@handout/peer-runtime mesh/fetch-grants.ts `holderKey`), so they can mint tickets every holder can check.
 */
export function deriveFetchKey(secret: string, mesh: string, peerId: string): string {
  const meshKey = new Uint8Array(hkdfSync('sha256', secret, SALT, mesh, 32));
  return base64urlEncode(new Uint8Array(hkdfSync('sha256', meshKey, FETCH_KEY_SALT, peerId, 32)));
}
