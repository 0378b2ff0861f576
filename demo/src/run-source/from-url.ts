/**
 * Picks the run source from the page URL: `?signal=<url>&token=<t>` joins that mesh as a submitter (the SDK's
 * `connect`, in this tab), anything else runs on this tab's Web Workers. A mesh that cannot be joined is said
 * plainly and the page falls back to local runs, so it never pretends to be on a mesh.
 */
import { connect } from '@handout/sdk';
import type { BrowserCapabilities } from '../common/capabilities.js';
import { createLocalRunSource } from './local.js';
import { createMeshRunSource } from './mesh.js';
import type { RunSource } from './types.js';

export interface ChosenSource {
  readonly source: RunSource;
  /** Why the page runs locally although a mesh was asked for. */
  readonly fallbackReason?: string;
}

export async function runSourceFromUrl(
  params: URLSearchParams,
  capabilities: BrowserCapabilities,
): Promise<ChosenSource> {
  const workers = Number(params.get('workers')) || capabilities.cores;
  const local = (): RunSource => createLocalRunSource({ workers, capabilities });
  const signal = params.get('signal');
  const token = params.get('token');
  if (!signal || !token) return { source: local() };
  try {
    const mesh = await connect({ signal, token });
    return { source: createMeshRunSource(mesh, { signal, selfId: mesh.peerId }) };
  } catch (error) {
    const reason = `could not join the mesh at ${signal}: ${error instanceof Error ? error.message : String(error)}`;
    return { source: local(), fallbackReason: reason };
  }
}
