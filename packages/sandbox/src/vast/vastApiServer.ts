import type http from 'node:http';
import {
  InvalidJson,
  pathOf,
  readJson,
  sendJson,
  sendText,
  sleep,
  startHttpServer,
  RunningServer,
} from '../http/server';
import { VastAccount, VastApiKey } from './account';
import { VastCallLog } from './callLog';
import { makeOffers } from './offers';
import { RateLimiter } from './rateLimiter';
import {
  normalBehaviour,
  pickLatencyMs,
  VastEndpointId,
  VendorBehaviour,
} from './vendorBehaviour';

/** The offer search that hangs first when a scenario makes some hang. */
const FIRST_HANG_AT = 20;

const INVALID_KEY = {
  success: false,
  error: 'invalid_user_key',
  msg: 'Invalid user key',
};
const OUTAGE_PAGE =
  '<html>\r\n<head><title>503 Service Temporarily Unavailable</title></head>\r\n<body>\r\n' +
  '<center><h1>503 Service Temporarily Unavailable</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n';

interface Route {
  id: VastEndpointId;
  /** The path as counted (placeholders instead of ids). */
  endpoint: string;
  params: Record<string, string>;
}

function route(path: string): Route | undefined {
  // Vast.ai paths end with a slash; accept both forms as its router does.
  const p = path.endsWith('/') ? path : `${path}/`;
  if (p === '/api/v0/users/current/')
    return { id: 'users/current', endpoint: p, params: {} };
  if (p === '/api/v0/auth/apikeys/')
    return { id: 'auth/apikeys', endpoint: p, params: {} };
  if (p === '/api/v0/bundles/')
    return { id: 'bundles', endpoint: p, params: {} };
  const m = /^\/api\/v0\/auth\/apikeys\/([^/]+)\/$/.exec(p);
  if (m)
    return {
      id: 'auth/apikeys/{id}',
      endpoint: '/api/v0/auth/apikeys/{id}/',
      params: { id: m[1] },
    };
  return undefined;
}

function bearer(req: http.IncomingMessage): string | undefined {
  const h = req.headers.authorization;
  if (!h) return undefined;
  const m = /^Bearer\s+(.+)$/i.exec(h.trim());
  return m?.[1].trim();
}

/** The simulated Vast.ai REST subset: real paths, real success and error shapes, per-identity limits. */
export class VastApi {
  readonly calls = new VastCallLog();
  readonly limiter = new RateLimiter();
  private behaviour: VendorBehaviour = normalBehaviour();
  private server?: RunningServer;
  private readonly hangs = new Set<() => void>();
  private searches = 0;

  constructor(readonly account: VastAccount) {}

  setBehaviour(behaviour: VendorBehaviour) {
    this.behaviour = behaviour;
    this.limiter.reset();
    this.searches = 0;
  }

  getBehaviour(): VendorBehaviour {
    return this.behaviour;
  }

  async start(port: number): Promise<RunningServer> {
    this.server = await startHttpServer(
      (req, res) => this.handle(req, res),
      port,
      {
        onConnection: socket => {
          if (this.behaviour.unreachable) socket.destroy();
        },
      },
    );
    return this.server;
  }

  async stop() {
    for (const release of this.hangs) release();
    await this.server?.close();
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse) {
    // Also on kept-alive connections opened while the API was reachable.
    if (this.behaviour.unreachable) return void req.socket.destroy();
    const { path, query } = pathOf(req);
    const method = req.method ?? 'GET';
    const r = route(path);
    const key = this.account.authenticate(bearer(req));
    const identity =
      key?.identity ?? (bearer(req) ? 'invalid-key' : 'anonymous');
    const endpoint = r?.endpoint ?? 'unknown';
    const answer = (status: number, body: unknown, asText = false) => {
      this.calls.record(identity, method, endpoint, status);
      if (res.destroyed) return;
      if (asText) sendText(res, status, String(body));
      else sendJson(res, status, body);
    };

    if (!r)
      return answer(404, {
        success: false,
        error: 'not_found',
        msg: 'Requested resource not found',
      });

    const b = this.behaviour;
    if (
      b.outage ||
      (b.serverErrorsUntil !== undefined && Date.now() < b.serverErrorsUntil)
    ) {
      await sleep(pickLatencyMs(b.latency[r.id]));
      this.calls.record(identity, method, endpoint, 503);
      return sendText(res, 503, OUTAGE_PAGE, 'text/html');
    }
    if (!key) return answer(401, INVALID_KEY);

    const limit = b.limits[r.id];
    if (!this.limiter.take(identity, r.id, limit)) {
      // No Retry-After and no X-RateLimit-* headers, as on the real API; text or JSON by endpoint.
      const msg = `API requests too frequent endpoint threshold=${(
        limit.minIntervalMs / 1000
      ).toFixed(1)}`;
      return r.id === 'users/current'
        ? answer(429, msg, true)
        : answer(429, { detail: msg });
    }

    // Every Nth offer search hangs, the first one early (deterministic, so the fraction holds even
    // over a short window, and a trickle shows within seconds of entering the scenario).
    if (
      r.id === 'bundles' &&
      b.hangFraction > 0 &&
      (++this.searches - FIRST_HANG_AT) % Math.round(1 / b.hangFraction) === 0
    ) {
      await this.hang(req);
      this.calls.record(identity, method, endpoint, 0);
      return undefined;
    }
    const delay = pickLatencyMs(b.latency[r.id]);
    if (delay > 0) await sleep(delay);

    switch (`${method} ${r.id}`) {
      case 'GET users/current':
        return answer(200, this.userRecord(key));
      case 'GET auth/apikeys':
        return answer(200, {
          apikeys: this.account.list().map(k => ({
            id: k.id,
            user_id: 424242,
            name: k.name,
            rights: JSON.stringify(k.permissions),
            team_id: null,
            team_name: null,
            created_at: k.createdAt / 1000,
            deleted_at: null,
          })),
        });
      case 'POST auth/apikeys': {
        const body = await readJson(req);
        if (
          body === InvalidJson ||
          typeof body !== 'object' ||
          body === null ||
          typeof (body as any).name !== 'string'
        ) {
          return answer(400, {
            success: false,
            error: 'invalid_request',
            msg: 'Invalid json body: name is required',
          });
        }
        const permissions = (body as any).permissions ?? false;
        if (
          permissions !== false &&
          (typeof permissions !== 'object' || Array.isArray(permissions))
        ) {
          return answer(400, {
            success: false,
            error: 'invalid_permissions',
            msg: 'Invalid permission format',
          });
        }
        const created = this.account.create((body as any).name, permissions);
        return answer(200, { id: created.id, key: created.key, permissions });
      }
      case 'DELETE auth/apikeys/{id}': {
        const id = Number(r.params.id);
        if (!Number.isInteger(id) || id < 1)
          return answer(400, { msg: 'API Key ID not provided.' });
        if (!this.account.revoke(id))
          return answer(404, { msg: 'API Key not found.' });
        return answer(200, 'Successfully Deleted API Key');
      }
      case 'POST bundles':
      case 'GET bundles': {
        let count = 5;
        if (method === 'POST') {
          const body = await readJson(req);
          if (body === InvalidJson)
            return answer(400, {
              error: 'invalid_request',
              msg: 'Invalid json body',
            });
          if (body && typeof (body as any).limit === 'number')
            count = (body as any).limit;
        } else if (query.get('q')) {
          try {
            const q = JSON.parse(query.get('q')!);
            if (typeof q?.limit === 'number') count = q.limit;
          } catch {
            return answer(400, {
              error: 'invalid_request',
              msg: 'Invalid json in q',
            });
          }
        }
        return answer(200, { offers: makeOffers(count) });
      }
      default:
        return answer(405, {
          success: false,
          error: 'method_not_allowed',
          msg: `Method ${method} not allowed`,
        });
    }
  }

  /** Holds a request without answering until the caller gives up (or the sandbox stops). */
  private hang(req: http.IncomingMessage): Promise<void> {
    return new Promise(resolve => {
      const timers: NodeJS.Timeout[] = [];
      const release = () => {
        this.hangs.delete(release);
        timers.forEach(clearTimeout);
        req.socket.destroy();
        resolve();
      };
      timers.push(setTimeout(release, 60_000));
      this.hangs.add(release);
      req.socket.once('close', release);
    });
  }

  private userRecord(key: VastApiKey) {
    // Like the real endpoint, the answer carries the calling key in `api_key`: consumers must drop it.
    return {
      id: 424242,
      key_id: key.id,
      username: 'sandbox-team',
      fullname: 'Sandbox Team',
      email: 'gpu-ops@example.com',
      balance: 1234.56,
      credit: 100,
      has_billing: true,
      can_pay: true,
      billed_verification: true,
      email_verified: true,
      ssh_key:
        'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeSandboxKeyOnlyForDemo sandbox',
      sid: 'a3f1c2d4e5b60718293a4b5c6d7e8f90',
      api_key: key.key,
    };
  }
}
