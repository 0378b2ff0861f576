/**
 * What a peer advertises, assembled from what the platform reports (capabilities.node.ts /
 * capabilities.browser.ts) and what the operator chose (tags, price, slots). The speed score comes from
 * calibration.ts. Platform-neutral: both paired files feed `buildCapabilities`.
 */
import type { PlatformFacts } from '../platform/types.js';
import type { PeerCapabilities } from '../signaling/contract.js';
import { LIMITS } from '../signaling/contract.js';

export type { PlatformFacts } from '../platform/types.js';

export interface CapabilityChoices {
  /** Worker slots to offer. Default: every core. */
  readonly concurrency?: number;
  /** Memory to offer in MiB. Default: what the platform reports. */
  readonly memoryMB?: number;
  /** User tags (`eu`, `fast-disk`). Default none. */
  readonly tags?: readonly string[];
  /** Price of one core-second. Default 0 (free). */
  readonly costRate?: number;
  /** Named countable resources. Default none. */
  readonly resources?: Readonly<Record<string, number>>;
  /** A name for people (dashboards), at most LIMITS.labelLength characters. Default none. */
  readonly label?: string;
}

export class CapabilityError extends TypeError {
  override name = 'CapabilityError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/** Combines facts, choices and a speed score into the advertised capabilities, checking each choice. */
export function buildCapabilities(
  facts: PlatformFacts,
  choices: CapabilityChoices,
  speed: number,
): PeerCapabilities {
  const cores = choices.concurrency ?? facts.cores;
  if (!Number.isInteger(cores) || cores < 1 || cores > LIMITS.maxCores)
    throw new CapabilityError(
      'concurrency',
      `concurrency must be an integer from 1 to ${LIMITS.maxCores}, got ${cores}`,
    );
  const memoryMB = choices.memoryMB ?? facts.memoryMB;
  if (!Number.isFinite(memoryMB) || memoryMB < 0)
    throw new CapabilityError('memoryMB', `memoryMB must be a number >= 0, got ${memoryMB}`);
  const costRate = choices.costRate ?? 0;
  if (!Number.isFinite(costRate) || costRate < 0)
    throw new CapabilityError('costRate', `the cost rate must be a number >= 0, got ${costRate}`);
  const tags = [...new Set(choices.tags ?? [])];
  if (tags.length > LIMITS.tags)
    throw new CapabilityError('tags', `at most ${LIMITS.tags} tags, got ${tags.length}`);
  for (const tag of tags) {
    if (tag.length === 0 || tag.length > LIMITS.tagLength)
      throw new CapabilityError('tags', `tag '${tag}' must have 1 to ${LIMITS.tagLength} characters`);
  }
  const label = choices.label?.trim();
  if (label !== undefined && (label.length === 0 || label.length > LIMITS.labelLength))
    throw new CapabilityError('label', `the label must have 1 to ${LIMITS.labelLength} characters`);
  if (!Number.isFinite(speed) || speed <= 0)
    throw new CapabilityError('speed', `speed must be a number > 0, got ${speed}`);
  return {
    platform: facts.platform,
    cores,
    memoryMB: Math.floor(memoryMB),
    gpu: facts.gpu,
    tags,
    costRate,
    speed,
    ...(choices.resources ? { resources: { ...choices.resources } } : {}),
    ...(label !== undefined && { label }),
  };
}
