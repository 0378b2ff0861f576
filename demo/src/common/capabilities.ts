/**
 * What this browser can give, as the contribute page shows it and as a browser peer advertises it: cores
 * (navigator.hardwareConcurrency), memory (navigator.deviceMemory, Chromium only, rounded down to a power of
 * two by the browser for privacy), and WebGPU (an adapter can actually be had, not just `navigator.gpu` existing:
 * Chromium exposes `navigator.gpu` even when the GPU is blocklisted or disabled).
 */

export interface BrowserCapabilities {
  readonly cores: number;
  /** GiB, as the browser reports it (a coarse bucket), or undefined where the browser does not say. */
  readonly memoryGB: number | undefined;
  readonly webgpu: boolean;
  /** The adapter's vendor/architecture when WebGPU is available. */
  readonly gpuName: string | undefined;
  readonly userAgent: string;
}

interface GpuAdapterLike {
  readonly info?: { readonly vendor?: string; readonly architecture?: string; readonly description?: string };
}
interface GpuLike {
  requestAdapter(): Promise<GpuAdapterLike | null>;
}

export interface DetectOptions {
  /**
   * Ask for a WebGPU adapter. Default true. Pages that do not use the GPU pass false: Chromium logs a console
   * warning ("No available adapters.") on every request it cannot satisfy, and `webgpu` is then false.
   */
  readonly probeGpu?: boolean;
}

export async function detectCapabilities(
  nav: Navigator = navigator,
  options: DetectOptions = {},
): Promise<BrowserCapabilities> {
  const cores = Math.max(1, nav.hardwareConcurrency || 1);
  const memory = (nav as Navigator & { deviceMemory?: number }).deviceMemory;
  const gpu = (nav as Navigator & { gpu?: GpuLike }).gpu;
  let webgpu = false;
  let gpuName: string | undefined;
  if (gpu && options.probeGpu !== false) {
    try {
      // A timeout guards against drivers that never answer.
      const adapter = await Promise.race([
        gpu.requestAdapter(),
        new Promise<null>((resolve) => setTimeout(() => resolve(null), 2000)),
      ]);
      if (adapter) {
        webgpu = true;
        const info = adapter.info;
        gpuName =
          [info?.vendor, info?.architecture || info?.description].filter(Boolean).join(' ') ||
          'WebGPU adapter';
      }
    } catch {
      webgpu = false;
    }
  }
  return {
    cores,
    memoryGB: typeof memory === 'number' ? memory : undefined,
    webgpu,
    gpuName,
    userAgent: nav.userAgent,
  };
}
