/**
 * The mesh half of `handout run`: with `--signal`, the DAG goes to a mesh through `connect()` instead of the local
 * worker pool. Output and exit codes stay those of the local run (run.ts prints both the same way).
 */

import { TokenFormatError } from '@handout/peer-runtime/peer';
import { SignalingError } from '@handout/peer-runtime/signaling';
import { connect, type Mesh, MeshConnectError } from '@handout/sdk';
import { type ResolvedSettings, settingOrigin } from '../config.js';
import { CliInputError } from '../errors.js';
import { parseSignalUrls } from './mesh-flags.js';

/** Joins the mesh named by `--signal` with `--token`; bad input or a refused token exits 2 naming the setting. */
export async function openMesh(settings: ResolvedSettings): Promise<Mesh> {
  const { signal, token } = settings.values;
  if (signal === undefined) throw new Error('openMesh needs --signal');
  if (token === undefined)
    throw new CliInputError(
      `${settingOrigin('signal', settings)} needs a token too: --token <t> (or HANDOUT_TOKEN)`,
    );
  try {
    const { iceServers } = settings.values;
    return await connect({
      signal: parseSignalUrls(signal, settingOrigin('signal', settings)),
      token,
      ...(iceServers.length > 0 && { iceServers }),
    });
  } catch (error) {
    if (error instanceof TokenFormatError || error instanceof MeshConnectError)
      throw new CliInputError(`${settingOrigin('token', settings)}: ${error.message}`);
    if (error instanceof SignalingError)
      throw new CliInputError(
        `cannot join the mesh at ${signal} (${settingOrigin('signal', settings)}): ${error.message}`,
      );
    throw error;
  }
}
