/**
 * What a worker entry does at start with the policy its pool sent: a worker that trusts code runs it as before
 * (`new Function`, every module); any other locks itself down and compiles code in the sandbox. Either way the
 * worker's console is replaced by one that captures each call's output (output-capture.ts) and, given a stream,
 * sends it to the pool while the call runs (output-stream.ts).
 */
import { createExecutor } from './execute.js';
import type { WireWorkerPolicy, WorkerApi } from './messages.js';
import { installConsole, OutputCapture } from './output-capture.js';
import type { OutputStreamOptions } from './output-stream.js';
import { createSandbox } from './sandbox.js';

/** A policy that arrived without one (an old pool): the sandbox, and no modules. */
const DEFAULT_POLICY: WireWorkerPolicy = { trustCode: false, modules: [] };

export function createPolicedExecutor(
  progress: Int32Array | undefined,
  policy: WireWorkerPolicy | undefined,
  /** Where live output goes (output-stream.ts); without it, each call's output travels with its outcome. */
  stream?: OutputStreamOptions,
): WorkerApi {
  const { trustCode, modules } = policy ?? DEFAULT_POLICY;
  // Before lockdown and before any code: the sandbox hands compartments the global console, now the capture.
  const output = new OutputCapture(stream);
  installConsole(globalThis, output.console);
  if (trustCode) return createExecutor(progress, { modules: 'any', output });
  return createExecutor(progress, { sandbox: createSandbox(), modules, output });
}
