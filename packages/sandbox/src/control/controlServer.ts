import type http from 'node:http';
import {
  InvalidJson,
  pathOf,
  readJson,
  sendJson,
  startHttpServer,
} from '../http/server';
import type { Receivers } from '../receivers/receiversServer';
import { SCENARIOS, SCENARIO_NAMES } from '../scenarios/scenarios';
import {
  STATUS_PAGE_MODES,
  StatusPageMode,
} from '../statuspage/statusPageServer';
import type { WriteGates } from '../kube/writeGates';
import { SERVICES, ServiceName } from '../world/seed';
import { UnknownScenarioError, World } from '../world/world';

/** The sandbox's control API: scenarios, knobs and the records tests assert on. Never returns a key. */
export function startControlServer(
  deps: { world: World; receivers: Receivers; urls: () => unknown },
  port: number,
) {
  const { world, receivers } = deps;

  const handle = async (
    req: http.IncomingMessage,
    res: http.ServerResponse,
  ) => {
    const { path } = pathOf(req);
    const route = `${req.method} ${path.replace(/\/+$/, '') || '/'}`;
    const body =
      req.method === 'PUT' || req.method === 'POST'
        ? await readJson(req)
        : undefined;
    if (body === InvalidJson)
      return sendJson(res, 400, { error: 'body is not valid JSON' });
    const b = (body ?? {}) as Record<string, any>;

    switch (route) {
      case 'GET /':
        return sendJson(res, 200, {
          routes: [
            'GET/PUT /scenario',
            'GET /scenarios',
            'GET /state',
            'GET /urls',
            'GET /kube/writes',
            'GET/PUT/DELETE /kube/hold',
            'GET/PUT/DELETE /kube/faults',
            'GET /vast/calls',
            'PUT /statuspage/mode',
            'PUT /health/shape',
            'PUT /receivers/failure',
            'GET /receivers/slack',
            'GET /receivers/statuspage',
            'GET /receivers/pagerduty',
            'POST /reset-counters',
          ],
        });
      case 'GET /scenario':
        return sendJson(res, 200, world.scenario());
      case 'GET /scenarios':
        return sendJson(res, 200, {
          scenarios: SCENARIO_NAMES.map(n => ({
            name: n,
            description: SCENARIOS[n].description,
          })),
        });
      case 'PUT /scenario':
        try {
          return sendJson(res, 200, await world.setScenario(b.name));
        } catch (error) {
          if (error instanceof UnknownScenarioError) {
            return sendJson(res, 400, {
              error: error.message,
              validScenarios: SCENARIO_NAMES,
            });
          }
          throw error;
        }
      case 'GET /state':
        return sendJson(res, 200, world.state());
      case 'GET /urls':
        return sendJson(res, 200, deps.urls());
      case 'GET /kube/writes':
        return sendJson(res, 200, { writes: world.kube.writes() });
      case 'GET /kube/hold':
      case 'GET /kube/faults':
      case 'PUT /kube/hold':
      case 'PUT /kube/faults':
      case 'DELETE /kube/hold':
      case 'DELETE /kube/faults':
        if (!world.kube.gates)
          return sendJson(res, 501, {
            error: 'this cluster has no write gates',
          });
        return gatesRoute(route, b, world.kube.gates, res);
      case 'GET /vast/calls':
        return sendJson(res, 200, world.vast.calls.stats());
      case 'PUT /statuspage/mode':
        if (!(STATUS_PAGE_MODES as readonly string[]).includes(b.mode)) {
          return sendJson(res, 400, {
            error: `mode must be one of ${STATUS_PAGE_MODES.join(', ')}`,
          });
        }
        world.statusPage.setMode(b.mode as StatusPageMode);
        return sendJson(res, 200, { mode: world.statusPage.getMode() });
      case 'PUT /health/shape': {
        const shape = Number(b.shape);
        if (![1, 2, 3].includes(shape))
          return sendJson(res, 400, { error: 'shape must be 1, 2 or 3' });
        if (
          b.service !== undefined &&
          !(SERVICES as readonly string[]).includes(b.service)
        ) {
          return sendJson(res, 400, {
            error: `service must be one of ${SERVICES.join(', ')}`,
          });
        }
        const targets = b.service ? [b.service as ServiceName] : [...SERVICES];
        for (const s of targets)
          world.services[s].healthShape = shape as 1 | 2 | 3;
        return sendJson(res, 200, { shape, services: targets });
      }
      case 'PUT /receivers/failure': {
        const ok = (v: unknown) =>
          v === undefined || v === null || v === 429 || v === 500;
        if (!ok(b.slack) || !ok(b.statuspage) || !ok(b.pagerduty))
          return sendJson(res, 400, {
            error: 'slack, statuspage and pagerduty must be 429, 500 or null',
          });
        const update: Record<string, 429 | 500 | null> = {};
        if (b.slack !== undefined) update.slack = b.slack;
        if (b.statuspage !== undefined) update.statuspage = b.statuspage;
        if (b.pagerduty !== undefined) update.pagerduty = b.pagerduty;
        receivers.setFailure(update);
        return sendJson(res, 200, receivers.getFailure());
      }
      case 'GET /receivers/slack':
        return sendJson(res, 200, { messages: receivers.slackMessages() });
      case 'GET /receivers/statuspage':
        return sendJson(res, 200, { requests: receivers.statuspageRequests() });
      case 'GET /receivers/pagerduty':
        return sendJson(res, 200, {
          events: receivers.pagerdutyEvents(),
          alerts: receivers.pagerdutyAlerts(),
        });
      case 'POST /reset-counters':
        world.vast.calls.clear();
        world.kube.clearWrites();
        receivers.clear();
        return sendJson(res, 200, { reset: true });
      default:
        return sendJson(res, 404, {
          error: `no such control route: ${req.method} ${path}`,
        });
    }
  };
  return startHttpServer(handle, port);
}

/** The write gates' routes: hold and release writes, inject and clear faults. */
function gatesRoute(
  route: string,
  b: Record<string, any>,
  gates: WriteGates,
  res: http.ServerResponse,
) {
  switch (route) {
    case 'GET /kube/hold':
    case 'GET /kube/faults':
      return sendJson(res, 200, gates.state());
    case 'PUT /kube/hold': {
      if (typeof b.resource !== 'string' || !b.resource)
        return sendJson(res, 400, { error: 'resource is required' });
      gates.hold({
        resource: b.resource,
        ...(typeof b.name === 'string' ? { name: b.name } : {}),
        ...(typeof b.namespace === 'string' ? { namespace: b.namespace } : {}),
        dryRun: b.dryRun === true,
      });
      return sendJson(res, 200, gates.state());
    }
    case 'DELETE /kube/hold':
      return sendJson(res, 200, { released: gates.release() });
    case 'PUT /kube/faults': {
      const status = Number(b.status);
      const count = b.count === undefined ? 1 : Number(b.count);
      if (typeof b.resource !== 'string' || !b.resource)
        return sendJson(res, 400, { error: 'resource is required' });
      if (status !== 500 && status !== 409)
        return sendJson(res, 400, { error: 'status must be 500 or 409' });
      if (!Number.isInteger(count) || count < 1 || count > 1000)
        return sendJson(res, 400, {
          error: 'count must be an integer from 1 to 1000',
        });
      gates.fault({
        resource: b.resource,
        ...(typeof b.name === 'string' ? { name: b.name } : {}),
        ...(typeof b.namespace === 'string' ? { namespace: b.namespace } : {}),
        dryRun: b.dryRun === true,
        status,
        count,
      });
      return sendJson(res, 200, gates.state());
    }
    case 'DELETE /kube/faults':
      gates.clearFaults();
      return sendJson(res, 200, gates.state());
    default:
      return sendJson(res, 404, { error: `no such control route: ${route}` });
  }
}
