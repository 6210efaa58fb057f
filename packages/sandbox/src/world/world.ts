import type { KubeStore } from '../kube/types';
import {
  isScenarioName,
  ScenarioName,
  SCENARIOS,
  SCENARIO_NAMES,
} from '../scenarios/scenarios';
import { IntegrationService } from '../service/integrationService';
import { StatusPage } from '../statuspage/statusPageServer';
import { VastApi } from '../vast/vastApiServer';
import { baseSeed, NAMESPACE, ServiceName } from './seed';

export class UnknownScenarioError extends Error {
  constructor(name: unknown) {
    super(
      `unknown scenario ${JSON.stringify(
        name,
      )}; valid scenarios: ${SCENARIO_NAMES.join(', ')}`,
    );
  }
}

/** Ties the simulated upstreams together and moves them from one scenario to the next. */
export class World {
  private current: { name: ScenarioName; enteredAt: number } = {
    name: 'healthy',
    enteredAt: Date.now(),
  };
  private switching: Promise<void> = Promise.resolve();

  constructor(
    readonly kube: KubeStore,
    readonly vast: VastApi,
    readonly statusPage: StatusPage,
    readonly services: Record<ServiceName, IntegrationService>,
  ) {}

  scenario() {
    return {
      name: this.current.name,
      enteredAt: new Date(this.current.enteredAt).toISOString(),
      description: SCENARIOS[this.current.name].description,
    };
  }

  /** Resets the world to its base state, then applies the scenario. Calls are serialised. */
  setScenario(name: string): Promise<ReturnType<World['scenario']>> {
    if (!isScenarioName(name))
      return Promise.reject(new UnknownScenarioError(name));
    const next = this.switching.then(() => this.apply(name));
    this.switching = next.catch(() => undefined);
    return next.then(() => this.scenario());
  }

  private async apply(name: ScenarioName) {
    const def = SCENARIOS[name];
    const enteredAt = Date.now();
    const services = Object.values(this.services);

    // Old pods go away with the old world: no call of theirs may count in the new one.
    await Promise.all(services.map(s => s.dropAllPods()));

    this.vast.account.reset();
    this.vast.setBehaviour(def.vendor(enteredAt));
    this.statusPage.setSpec(def.statusPage);
    for (const s of services) s.resetState();

    this.kube.reset(baseSeed(this.vast.account.seed.serviceKeys));
    for (const s of def.revokeKeys ?? []) this.vast.account.revokeServiceKey(s);
    for (const s of def.crashing ?? [])
      this.kube.setDeploymentFault(NAMESPACE, s, 'crashloop');
    for (const s of def.brokenMetrics ?? [])
      this.services[s].metricsBroken = true;
    for (const s of def.egressBlocked ?? [])
      this.services[s].egressBlocked = true;

    this.current = { name, enteredAt };
    for (const s of services) s.reconcile();
  }

  state() {
    const behaviour = this.vast.getBehaviour();
    return {
      scenario: this.scenario(),
      vendor: {
        outage: behaviour.outage,
        unreachable: behaviour.unreachable === true,
        serverErrorsUntil: behaviour.serverErrorsUntil
          ? new Date(behaviour.serverErrorsUntil).toISOString()
          : null,
        hangFraction: behaviour.hangFraction,
        latency: behaviour.latency,
        limits: behaviour.limits,
        keys: this.vast.account
          .list()
          .map(k => ({ id: k.id, name: k.name, identity: k.identity })),
      },
      statusPage: {
        mode: this.statusPage.getMode(),
        status: this.statusPage.render().status.status,
      },
      services: Object.fromEntries(
        Object.entries(this.services).map(([name, s]) => [
          name,
          {
            health: s.health(),
            healthShape: s.healthShape,
            metricsBroken: s.metricsBroken,
            egressBlocked: s.egressBlocked,
            pods: s.podConfigs(),
          },
        ]),
      ),
    };
  }
}
