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
