import { setMaxListeners } from 'node:events';
import type { StartedPod } from '../kube/types';
import { sleep } from '../http/server';
import { searchOffers, VastCallResult } from './vastClient';

export interface PodWorkerSettings {
  vastApiUrl: string;
  /** Direct mode: calls per second this pod fires, without waiting for answers. */
  directCallsPerSecond: number;
  /** Queue mode: one call at a time, at most one per this many ms (below the vendor's limit). */
  queueIntervalMs: number;
  requestTimeoutMs: number;
  maxInFlight: number;
  /** While true, calls go nowhere: the connection is refused, as a blocking egress rule does. */
  egressBlocked?: () => boolean;
}

/** Where a blocked pod's calls end: a loopback port nothing listens on, so it is refused. */
export const REFUSING_URL = 'http://127.0.0.1:1';

export type RateLimitMode = 'direct' | 'queue';

/** How a pod behaves, decided once from the env it started with (as a real process reads its env). */
export interface PodConfig {
  apiKey: string | undefined;
  mode: RateLimitMode;
  fallback: boolean;
}

export function podConfig(pod: StartedPod): PodConfig {
  return {
    apiKey: pod.env.VASTAI_API_KEY || undefined,
    mode: pod.env.RATE_LIMIT_MODE === 'queue' ? 'queue' : 'direct',
    fallback: /^(true|1|yes)$/i.test(pod.env.VASTAI_FALLBACK ?? ''),
  };
}

/** One Ready pod's work loop: it really calls the simulated Vast.ai API over HTTP. */
export class PodWorker {
  readonly config: PodConfig;
  private readonly stopController = new AbortController();
  private inFlight = 0;
  private loop?: Promise<void>;

  constructor(
    readonly pod: StartedPod,
    private readonly settings: PodWorkerSettings,
    private readonly onResult: (
      pod: StartedPod,
      result: VastCallResult,
    ) => void,
  ) {
    this.config = podConfig(pod);
    // Every in-flight call listens for the pod's stop; direct mode keeps dozens in flight.
    setMaxListeners(1000, this.stopController.signal);
  }

  start() {
    // Fallback: the pod serves cached offers and never calls the vendor.
    if (this.config.fallback) return;
    this.loop =
      this.config.mode === 'queue' ? this.runQueue() : this.runDirect();
  }

  async stop() {
    this.stopController.abort();
    await this.loop;
  }

  private call(): Promise<VastCallResult> {
    return searchOffers({
      baseUrl: this.settings.egressBlocked?.()
        ? REFUSING_URL
        : this.settings.vastApiUrl,
      apiKey: this.config.apiKey,
      timeoutMs: this.settings.requestTimeoutMs,
      stopSignal: this.stopController.signal,
    });
  }

  private report(result: VastCallResult) {
    if (!result.cancelled && !this.stopController.signal.aborted)
      this.onResult(this.pod, result);
  }

  /** Direct: fire at a steady rate whatever the answers are (this is what gets rate limited). */
  private async runDirect() {
    const signal = this.stopController.signal;
    const interval = 1000 / this.settings.directCallsPerSecond;
    await sleep(Math.random() * interval, signal);
    while (!signal.aborted) {
      if (this.inFlight < this.settings.maxInFlight) {
        this.inFlight++;
        this.call()
          .then(r => this.report(r))
          .finally(() => this.inFlight--);
      }
      await sleep(interval * (0.8 + Math.random() * 0.4), signal);
    }
  }

  /** Queue: one call at a time, paced under the vendor's limit, backing off after a 429. */
  private async runQueue() {
    const signal = this.stopController.signal;
    await sleep(Math.random() * this.settings.queueIntervalMs, signal);
    while (!signal.aborted) {
      const started = Date.now();
      const result = await this.call();
      this.report(result);
      const pause =
        result.errorType === 'rate_limited'
          ? this.settings.queueIntervalMs * 2
          : this.settings.queueIntervalMs;
      await sleep(Math.max(0, pause - (Date.now() - started)), signal);
    }
  }
}
