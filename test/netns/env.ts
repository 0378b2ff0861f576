/**
 * Whether this process runs inside the private network namespace of test/netns/run.sh (HANDOUT_NETNS=1), in
 * the host-network fallback (HANDOUT_NETNS=0), or was started without the wrapper (undefined). Tests do not
 * need it to pass (the ICE server list is empty either way); it is for reports and for browser tests, which
 * need the namespace's veth address to gather ICE candidates.
 */
export type NetnsMode = 'namespace' | 'host-fallback' | 'unwrapped';

export function netnsMode(env: NodeJS.ProcessEnv = process.env): NetnsMode {
  if (env.HANDOUT_NETNS === '1') return 'namespace';
  if (env.HANDOUT_NETNS === '0') return 'host-fallback';
  return 'unwrapped';
}

export function insideNetns(env: NodeJS.ProcessEnv = process.env): boolean {
  return netnsMode(env) === 'namespace';
}
