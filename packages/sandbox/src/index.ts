import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { EPHEMERAL_PORTS, SandboxPorts, DEFAULT_OPERATOR_KEY } from './config';
import { startControlServer } from './control/controlServer';
import type { RunningServer } from './http/server';
import { createKubeApiServer, InMemoryKubeStore } from './kube';
import type { KubeStore } from './kube/types';
import { writeKubeconfig } from './kubeconfig';
import {
  findPrometheusBinary,
  RunningPrometheus,
  startPrometheus,
} from './prometheus/prometheusProcess';
import { Receivers } from './receivers/receiversServer';
import type { ScenarioName } from './scenarios/scenarios';
import { IntegrationService } from './service/integrationService';
import { StatusPage } from './statuspage/statusPageServer';
import { VastAccount } from './vast/account';
import type { VastCallStats } from './vast/callLog';
import { VastApi } from './vast/vastApiServer';
import {
  BATCH_WORKER,
  INTEGRATION,
  NAMESPACE,
  SERVICES,
  ServiceName,
} from './world/seed';
import { World } from './world/world';

export { SCENARIO_NAMES, SCENARIOS } from './scenarios/scenarios';
export type { ScenarioName } from './scenarios/scenarios';
export {
  expectedVerdict,
  HEALTH_SHAPES,
  STATUS_SOURCES,
} from './scenarios/expectedVerdicts';
export type {
  ExpectedVerdict,
  StatusSource,
} from './scenarios/expectedVerdicts';
export {
  DEFAULT_BASE_PORT,
  portsFromBase,
  DEFAULT_OPERATOR_KEY,
} from './config';
export type { VastCallStats } from './vast/callLog';
export type { KubeWriteRecord } from './kube/types';
export { routingKeyFingerprint } from './receivers/pagerduty';
export type {
  PagerDutyAlert,
  PagerDutyEventRecord,
} from './receivers/pagerduty';

export interface SandboxOptions {
  /** Ports by name; missing ones are ephemeral (0). */
  ports?: Partial<SandboxPorts>;
  /** Initial scenario (default `healthy`). */
  scenario?: ScenarioName;
  /** Start a real Prometheus: `true` (default) when a binary exists, `'required'` to fail without one, `false` to skip. */
  prometheus?: boolean | 'required';
  /** Prometheus state directory (default: a temp dir removed on stop). */
  stateDir?: string;
  /** The operator's Vast.ai key (default `$SANDBOX_VAST_OPERATOR_KEY` or `sandbox-operator-key`). */
  operatorKey?: string;
  /** Timings of the simulated cluster (tests make rollouts faster). */
  kube?: { rolloutStepMs?: number; crashLoopIntervalMs?: number };
}

export interface SandboxUrls {
  control: string;
  vastApi: string;
  statusPage: string;
  services: Record<ServiceName, string>;
  /** Plain HTTP, bearer token `sandbox-token` (what app-config gives the Backstage Kubernetes plugin). */
  kubernetes: string;
  /** HTTPS (self-signed) on the same cluster, for kubectl. */
  kubernetesTls: string;
  /** A kubeconfig file for the real kubectl: `KUBECONFIG=<this> kubectl get pods`. */
  kubeconfig: string;
  receivers: string;
  /** PagerDuty's Events API v2 endpoint (`POST` events here), on the receivers' port. */
  pagerduty: string;
  prometheus?: string;
}

export interface Sandbox {
  urls: SandboxUrls;
  setScenario(
    name: ScenarioName | string,
  ): Promise<{ name: string; enteredAt: string; description: string }>;
  scenario(): { name: string; enteredAt: string; description: string };
  kube: KubeStore;
  vastCalls(): VastCallStats;
  world: World;
  receivers: Receivers;
  stop(): Promise<void>;
}

/** Starts every simulated upstream on loopback and enters the initial scenario. */
export async function startSandbox(
  options: SandboxOptions = {},
): Promise<Sandbox> {
  const ports: SandboxPorts = { ...EPHEMERAL_PORTS, ...(options.ports ?? {}) };
  const operatorKey =
    options.operatorKey ??
    process.env.SANDBOX_VAST_OPERATOR_KEY ??
    DEFAULT_OPERATOR_KEY;
  const started: Array<{ close(): Promise<void> }> = [];
  const closeAll = async () => {
    for (const s of started.reverse()) await s.close().catch(() => undefined);
  };

  try {
    const kube = new InMemoryKubeStore(options.kube ?? {});
    started.push({ close: async () => kube.close() });
    // Plain HTTP for the Backstage Kubernetes plugin (app-config), HTTPS for kubectl, which only
    // sends its bearer token over TLS. Both serve the same store.
    const kubeServer = await createKubeApiServer(kube, {
      port: ports.kubernetes,
    });
    started.push(kubeServer);
    const kubeTlsServer = await createKubeApiServer(kube, {
      port: ports.kubernetesTls,
      tls: true,
    });
    started.push(kubeTlsServer);
    const kubeDir =
      options.stateDir ??
      (await mkdtemp(path.join(os.tmpdir(), 'vastai-sandbox-kube-')));
    if (!options.stateDir)
      started.push({
        close: () => rm(kubeDir, { recursive: true, force: true }),
      });
    const kubeconfig = await writeKubeconfig(
      kubeDir,
      kubeTlsServer.url,
      kubeTlsServer.caCert,
    );

    const vast = new VastApi(new VastAccount(operatorKey, [...SERVICES]));
    const vastServer = await vast.start(ports.vastApi);
    started.push({ close: () => vast.stop() });

    const statusPage = new StatusPage();
    const statusServer = await statusPage.start(ports.statusPage);
    started.push({ close: () => statusPage.stop() });

    const receivers = new Receivers();
    const receiversServer = await receivers.start(ports.receivers);
    started.push({ close: () => receivers.stop() });

    const common = {
      namespace: NAMESPACE,
      kube,
      vastApiUrl: vastServer.url,
      requestTimeoutMs: 8000,
      maxInFlight: 40,
    };
    const services: Record<ServiceName, IntegrationService> = {
      [INTEGRATION]: new IntegrationService({
        ...common,
        name: INTEGRATION,
        directCallsPerSecond: 5,
        queueIntervalMs: 1500,
      }),
      [BATCH_WORKER]: new IntegrationService({
        ...common,
        name: BATCH_WORKER,
        directCallsPerSecond: 1,
        queueIntervalMs: 2000,
      }),
    };
    const world = new World(kube, vast, statusPage, services);
    await world.setScenario(options.scenario ?? 'healthy');

    const serviceServers: Record<string, RunningServer> = {};
    serviceServers[INTEGRATION] = await services[INTEGRATION].start(
      ports.integration,
    );
    started.push({ close: () => services[INTEGRATION].stop() });
    serviceServers[BATCH_WORKER] = await services[BATCH_WORKER].start(
      ports.batchWorker,
    );
    started.push({ close: () => services[BATCH_WORKER].stop() });

    let prometheus: RunningPrometheus | undefined;
    const binary = findPrometheusBinary();
    const wantPrometheus = options.prometheus ?? true;
    if (wantPrometheus === 'required' && !binary) {
      throw new Error(
        'prometheus is required but neither $PROMETHEUS_BIN nor /usr/bin/prometheus exists',
      );
    }
    if (wantPrometheus && binary) {
      prometheus = await startPrometheus({
        binary,
        port: ports.prometheus,
        stateDir: options.stateDir,
        targets: SERVICES.map(s => ({
          job: s,
          address: `127.0.0.1:${serviceServers[s].port}`,
        })),
      });
      started.push({ close: () => prometheus!.stop() });
    }

    const urls: SandboxUrls = {
      control: '',
      vastApi: vastServer.url,
      statusPage: statusServer.url,
      services: {
        [INTEGRATION]: serviceServers[INTEGRATION].url,
        [BATCH_WORKER]: serviceServers[BATCH_WORKER].url,
      },
      kubernetes: kubeServer.url,
      kubernetesTls: kubeTlsServer.url,
      kubeconfig,
      receivers: receiversServer.url,
      pagerduty: `${receiversServer.url}/pagerduty/v2/enqueue`,
      ...(prometheus ? { prometheus: prometheus.url } : {}),
    };
    const control = await startControlServer(
      { world, receivers, urls: () => urls },
      ports.control,
    );
    started.push(control);
    urls.control = control.url;

    let stopped: Promise<void> | undefined;
    return {
      urls,
      setScenario: name => world.setScenario(name),
      scenario: () => world.scenario(),
      kube,
      vastCalls: () => vast.calls.stats(),
      world,
      receivers,
      stop: () => (stopped ??= closeAll()),
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}
