import {
  LocalServer,
  sendJson,
  startLocalServer,
} from '../../testing/localServer';
import { createRedactor } from '../../redact';
import { nodeHttpClient } from '../../upstream';
import { createKubernetesReader } from './client';
import { createKubernetesProbe } from './kubernetesProbe';
import { isErrorLine, readErrorLogs } from './logs';

const TOKEN = 'kube-sa-token-canary';
const OPERATOR_KEY = 'operator-key-canary-91c2';
const NS = 'vastai';
const target = {
  cluster: 'sandbox',
  namespace: NS,
  deployment: 'vastai-integration',
  container: 'app',
};
const recent = new Date(Date.now() - 60_000).toISOString();

function deployment(overrides: Record<string, any> = {}) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'vastai-integration', namespace: NS, generation: 3 },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'vastai-integration' } },
      template: {
        metadata: { labels: { app: 'vastai-integration' } },
        spec: {
          containers: [
            {
              name: 'app',
              image: 'x',
              env: [
                { name: 'RATE_LIMIT_MODE', value: 'queue' },
                { name: 'VASTAI_FALLBACK', value: 'true' },
                {
                  name: 'VASTAI_API_KEY',
                  valueFrom: {
                    secretKeyRef: { name: 'vastai-secrets', key: 'api-key' },
                  },
                },
              ],
            },
          ],
        },
      },
    },
    status: {
      observedGeneration: 3,
      replicas: 2,
      updatedReplicas: 2,
      readyReplicas: 1,
      availableReplicas: 1,
    },
    ...overrides,
  };
}

function pod(name: string, ready: boolean, waiting?: string) {
  return {
    metadata: { name, namespace: NS, labels: { app: 'vastai-integration' } },
    status: {
      phase: 'Running',
      startTime: recent,
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
      containerStatuses: [
        {
          name: 'app',
          ready,
          restartCount: waiting ? 7 : 0,
          image: 'x',
          imageID: 'x',
          state: waiting
            ? { waiting: { reason: waiting } }
            : { running: { startedAt: recent } },
          lastState: waiting
            ? { terminated: { reason: 'OOMKilled', exitCode: 137 } }
            : {},
        },
      ],
    },
  };
}

const LOG = [
  `${recent} INFO request ok`,
  `${recent} ERROR vastai call failed: 401 Invalid user key (Authorization: Bearer sk-live-abcdef123456)`,
  `${recent} ERROR retrying GET /api/v0/bundles/?api_key=${OPERATOR_KEY}`,
  `${recent} WARN slow`,
  ...Array.from({ length: 300 }, (_, i) => `${recent} ERROR flood ${i}`),
].join('\n');

describe('Kubernetes probe and logs through @kubernetes/client-node', () => {
  let mode = 'normal';
  let server: LocalServer;
  beforeAll(async () => {
    server = await startLocalServer((req, res) => {
      if (req.headers.authorization !== `Bearer ${TOKEN}`) {
        sendJson(res, 401, { kind: 'Status', code: 401 });
        return;
      }
      const url = new URL(req.url!, 'http://x');
      if (mode === 'redirect') {
        res.writeHead(302, { location: 'http://169.254.169.254/' });
        res.end();
        return;
      }
      if (mode === 'hang') return;
      if (
        url.pathname ===
        `/apis/apps/v1/namespaces/${NS}/deployments/vastai-integration`
      ) {
        sendJson(res, 200, deployment());
        return;
      }
      if (
        url.pathname === `/apis/apps/v1/namespaces/${NS}/deployments/missing`
      ) {
        sendJson(res, 404, { kind: 'Status', code: 404, message: 'not found' });
        return;
      }
      if (url.pathname === `/api/v1/namespaces/${NS}/pods`) {
        if (
          url.searchParams.get('labelSelector') !== 'app=vastai-integration'
        ) {
          sendJson(res, 400, { kind: 'Status', code: 400 });
          return;
        }
        sendJson(res, 200, {
          kind: 'PodList',
          items: [
            pod('vastai-integration-abc-1', true),
            pod('vastai-integration-abc-2', false, 'CrashLoopBackOff'),
          ],
        });
        return;
      }
      if (url.pathname === `/api/v1/namespaces/${NS}/events`) {
        if (url.searchParams.get('fieldSelector') !== 'type=Warning') {
          sendJson(res, 400, { kind: 'Status', code: 400 });
          return;
        }
        sendJson(res, 200, {
          kind: 'EventList',
          items: [
            {
              metadata: { name: 'e1' },
              involvedObject: { name: 'vastai-integration-abc-2' },
              reason: 'BackOff',
              message: 'Back-off restarting failed container',
              count: 12,
              lastTimestamp: recent,
              type: 'Warning',
            },
            {
              metadata: { name: 'e2' },
              involvedObject: { name: 'other-service-1' },
              reason: 'BackOff',
              message: 'not ours',
              count: 1,
              lastTimestamp: recent,
              type: 'Warning',
            },
            {
              metadata: { name: 'e3' },
              involvedObject: { name: 'vastai-integration' },
              reason: 'Old',
              message: 'long ago',
              count: 1,
              lastTimestamp: '2020-01-01T00:00:00Z',
              type: 'Warning',
            },
          ],
        });
        return;
      }
      const log = /^\/api\/v1\/namespaces\/vastai\/pods\/([^/]+)\/log$/.exec(
        url.pathname,
      );
      if (log) {
        const bounded =
          url.searchParams.get('sinceSeconds') === '600' &&
          url.searchParams.get('timestamps') === 'true' &&
          Number(url.searchParams.get('limitBytes')) > 0;
        if (!bounded) {
          sendJson(res, 400, { kind: 'Status', code: 400 });
          return;
        }
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end(LOG);
        return;
      }
      sendJson(res, 404, { kind: 'Status', code: 404 });
      return;
    });
  });
  afterAll(() => server.close());

  const reader = () =>
    createKubernetesReader(
      {
        name: 'sandbox',
        url: server.url,
        serviceAccountToken: TOKEN,
        skipTLSVerify: false,
      },
      { http: nodeHttpClient, timeoutMs: 300, maxBytes: 1 << 20, retries: 0 },
    );

  it('summarises the deployment, its pods, switches and warning events', async () => {
    mode = 'normal';
    const signal = await createKubernetesProbe({ reader: reader(), target })();
    expect(signal.state).toBe('failing'); // a pod in CrashLoopBackOff and fewer ready than desired
    const value = signal.value!;
    expect(value).toMatchObject({
      cluster: 'sandbox',
      namespace: NS,
      deployment: 'vastai-integration',
      desiredReplicas: 2,
      readyReplicas: 1,
      fallbackEnabled: true,
      rateLimitMode: 'queue',
      rolloutInProgress: false,
    });
    expect(value.pods).toEqual([
      expect.objectContaining({
        name: 'vastai-integration-abc-1',
        ready: true,
        restarts: 0,
      }),
      expect.objectContaining({
        name: 'vastai-integration-abc-2',
        ready: false,
        restarts: 7,
        waitingReason: 'CrashLoopBackOff',
        lastTerminationReason: 'OOMKilled',
      }),
    ]);
    expect(value.warningEvents).toEqual([
      expect.objectContaining({ reason: 'BackOff', count: 12 }),
    ]);
    expect(JSON.stringify(signal)).not.toContain('vastai-secrets" ');
  });

  it('lists pods in parallel with the deployment once its selector is known, and re-lists on a changed one', async () => {
    mode = 'normal';
    const selectors = new Map<string, string>();
    const paths = () =>
      server.requests.map(r => new URL(r.url, 'http://x').pathname);
    const probe = createKubernetesProbe({
      reader: reader(),
      target,
      selectors,
    });

    server.requests.length = 0;
    expect((await probe()).value!.pods).toHaveLength(2);
    expect(selectors.get(`${NS}/vastai-integration`)).toBe(
      'app=vastai-integration',
    );
    // First read: the pods are asked for only after the deployment answered.
    const first = paths();
    expect(first.indexOf(`/api/v1/namespaces/${NS}/pods`)).toBeGreaterThan(
      first.indexOf(
        `/apis/apps/v1/namespaces/${NS}/deployments/vastai-integration`,
      ),
    );

    server.requests.length = 0;
    expect((await probe()).value!.pods).toHaveLength(2);
    // Known selector: the pods request goes out before the deployment's answer is awaited.
    const second = paths();
    expect(second.filter(p => p.endsWith('/pods'))).toHaveLength(1);
    expect(second.indexOf(`/api/v1/namespaces/${NS}/pods`)).toBeLessThan(
      second.indexOf(
        `/apis/apps/v1/namespaces/${NS}/deployments/vastai-integration`,
      ),
    );

    // A remembered selector that no longer matches is corrected and the pods re-listed.
    selectors.set(`${NS}/vastai-integration`, 'app=stale');
    server.requests.length = 0;
    const corrected = await probe();
    expect(corrected.value!.pods).toHaveLength(2);
    expect(paths().filter(p => p.endsWith('/pods'))).toHaveLength(2);
    expect(selectors.get(`${NS}/vastai-integration`)).toBe(
      'app=vastai-integration',
    );
  });

  it('is unknown when the deployment is missing, the API redirects or hangs', async () => {
    mode = 'normal';
    const missing = await createKubernetesProbe({
      reader: reader(),
      target: { ...target, deployment: 'missing' },
    })();
    expect(missing.state).toBe('unknown');
    expect(missing.reason).toMatch(/not found/);
    mode = 'redirect';
    const redirected = await createKubernetesProbe({
      reader: reader(),
      target,
    })();
    expect(redirected.state).toBe('unknown');
    expect(redirected.reason).toMatch(/redirect/);
    mode = 'hang';
    const hung = await createKubernetesProbe({ reader: reader(), target })();
    expect(hung.state).toBe('unknown');
    mode = 'normal';
  });

  it('returns only error lines, redacted and bounded', async () => {
    mode = 'normal';
    const logs = await readErrorLogs({
      reader: reader(),
      target,
      sinceMinutes: 10,
      redact: createRedactor([OPERATOR_KEY]),
      bounds: { maxLines: 50 },
    });
    expect(logs.lines).toHaveLength(50);
    expect(logs.truncated).toBe(true);
    const text = JSON.stringify(logs);
    expect(text).not.toContain(OPERATOR_KEY);
    expect(text).not.toContain('sk-live-abcdef123456');
    expect(text).not.toContain('INFO request ok');
    expect(text).not.toContain('WARN slow');
    // The most recent lines win.
    expect(logs.lines.at(-1)?.text).toContain('flood 299');
    expect(logs.lines[0].time).toBe(recent);

    const small = await readErrorLogs({
      reader: reader(),
      target,
      sinceMinutes: 10,
      redact: createRedactor([OPERATOR_KEY]),
      bounds: { maxBytes: 2000, maxPods: 1 },
    });
    const bytes = small.lines.reduce(
      (n, l) => n + Buffer.byteLength(l.text),
      0,
    );
    expect(bytes).toBeLessThanOrEqual(2000);
    expect(small.truncated).toBe(true);
  });

  it('redacts the key lines themselves', async () => {
    mode = 'normal';
    const logs = await readErrorLogs({
      reader: reader(),
      target,
      sinceMinutes: 10,
      redact: createRedactor([OPERATOR_KEY]),
      bounds: { maxLines: 1000, maxPods: 1 },
    });
    const keyLines = logs.lines.filter(l =>
      /Invalid user key|retrying/.test(l.text),
    );
    expect(keyLines.map(l => l.text)).toEqual([
      'ERROR vastai call failed: 401 Invalid user key (Authorization: [REDACTED] [REDACTED])',
      'ERROR retrying GET /api/v0/bundles/?api_key=[REDACTED]',
    ]);
  });
});

describe('isErrorLine', () => {
  it.each([
    ['time=x level=error msg="vastai request failed" status=503', true],
    ['time=x level=info msg="summary" ok=49 failed=0', false],
    ['{"level":"warn","msg":"request failed, retrying"}', false],
    ['{"level":"fatal","msg":"out of memory"}', true],
    ['ERROR vastai call failed', true],
    ['[INFO] 0 errors so far', false],
    ['panic: runtime error: invalid memory address', true],
    ['GET /bundles 503', true],
    ['listening on :8080', false],
  ])('%s -> %p', (line, expected) => {
    expect(isErrorLine(line)).toBe(expected);
  });
});
