/** Raw HTTP behaviour of the API server: auth, Status errors, discovery, tables, watches. */
import https from 'https';
import { KubeTestCluster, eventually, startKubeTestCluster } from '../testing';
import { InMemoryKubeStore } from './store';
import { createKubeApiServer } from './server';

jest.setTimeout(30_000);

const NS = 'vastai';
const DEP_PATH =
  '/apis/apps/v1/namespaces/vastai/deployments/vastai-integration';

describe('simulated Kubernetes API server', () => {
  let c: KubeTestCluster;
  beforeAll(async () => {
    c = await startKubeTestCluster();
  });
  afterAll(async () => {
    await c?.close();
  });

  it('requires the bearer token, except on /version and /healthz', async () => {
    for (const token of [null, 'wrong-token']) {
      const res = await c.request('GET', '/api/v1/namespaces/vastai/pods', {
        token,
      });
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({
        kind: 'Status',
        status: 'Failure',
        reason: 'Unauthorized',
        code: 401,
      });
    }
    expect(
      (await c.request('GET', '/version', { token: null })).body,
    ).toMatchObject({ major: '1', minor: '32' });
    expect((await c.request('GET', '/healthz', { token: null })).text).toBe(
      'ok',
    );
    expect(
      (await c.request('GET', '/api/v1/namespaces/vastai/pods')).status,
    ).toBe(200);
    c.store.clearWrites();
    const refused = await c.request(
      'PATCH',
      '/api/v1/namespaces/vastai/secrets/vastai-secrets',
      {
        token: 'wrong-token',
        contentType: 'application/merge-patch+json',
        body: { data: { 'api-key': 'c2VjcmV0' } },
      },
    );
    expect(refused.status).toBe(401);
    expect(c.store.writes()).toEqual([
      expect.objectContaining({
        method: 'PATCH',
        resource: 'secrets',
        name: 'vastai-secrets',
        status: 401,
        body: null,
      }),
    ]);
    expect(c.store.getSecretData(NS, 'vastai-secrets')).toEqual({
      'api-key': 'key-one',
    });
    const metricsWrite = await c.request(
      'DELETE',
      '/apis/metrics.k8s.io/v1beta1/namespaces/vastai/pods/x',
    );
    expect(metricsWrite.body).toMatchObject({
      reason: 'MethodNotAllowed',
      code: 405,
    });
    const metrics = await c.request(
      'GET',
      '/apis/metrics.k8s.io/v1beta1/namespaces/vastai/pods',
    );
    expect(metrics.body.kind).toBe('PodMetricsList');
    expect(metrics.body.items).toHaveLength(3);
    expect(metrics.body.items[0].containers[0].usage).toEqual({
      cpu: expect.stringMatching(/^\d+n$/),
      memory: expect.stringMatching(/^\d+Ki$/),
    });
  });

  it('serves legacy discovery even when aggregated discovery is asked for', async () => {
    const accept =
      'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json';
    const apis = await c.request('GET', '/apis', { accept });
    expect(apis.headers['content-type']).toBe('application/json');
    expect(apis.body.kind).toBe('APIGroupList');
    expect(apis.body.groups.map((g: any) => g.name)).toEqual(
      expect.arrayContaining([
        'apps',
        'batch',
        'autoscaling',
        'networking.k8s.io',
      ]),
    );
    const apps = await c.request('GET', '/apis/apps/v1');
    const byName = Object.fromEntries(
      apps.body.resources.map((r: any) => [r.name, r]),
    );
    expect(byName.deployments).toMatchObject({
      kind: 'Deployment',
      namespaced: true,
      singularName: 'deployment',
      shortNames: ['deploy'],
    });
    expect(byName.deployments.verbs).toEqual(
      expect.arrayContaining([
        'get',
        'list',
        'watch',
        'patch',
        'update',
        'create',
      ]),
    );
    expect(byName['deployments/scale']).toMatchObject({
      kind: 'Scale',
      group: 'autoscaling',
      version: 'v1',
    });
    expect(byName['deployments/status']).toBeDefined();
    const core = await c.request('GET', '/api/v1');
    expect(core.body.resources.map((r: any) => r.name)).toEqual(
      expect.arrayContaining([
        'pods',
        'pods/log',
        'secrets',
        'events',
        'namespaces',
        'services',
        'configmaps',
      ]),
    );
  });

  it('answers real Status objects for 404, 405, 409, 415 and 422', async () => {
    const missing = await c.request(
      'GET',
      '/apis/apps/v1/namespaces/vastai/deployments/nope',
    );
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'deployments.apps "nope" not found',
      reason: 'NotFound',
      details: { name: 'nope', group: 'apps', kind: 'deployments' },
      code: 404,
    });
    expect(
      (await c.request('GET', '/apis/nothing/v1/foos')).body,
    ).toMatchObject({ reason: 'NotFound', code: 404 });
    const notAllowed = await c.request('POST', DEP_PATH, { body: {} });
    expect(notAllowed.body).toMatchObject({
      kind: 'Status',
      reason: 'MethodNotAllowed',
      code: 405,
    });

    const current = (await c.request('GET', DEP_PATH)).body;
    const stale = await c.request('PATCH', DEP_PATH, {
      contentType: 'application/merge-patch+json',
      body: {
        metadata: {
          resourceVersion: String(Number(current.metadata.resourceVersion) - 1),
          labels: { x: 'y' },
        },
      },
    });
    expect(stale.status).toBe(409);
    expect(stale.body).toMatchObject({
      kind: 'Status',
      reason: 'Conflict',
      details: {
        name: 'vastai-integration',
        group: 'apps',
        kind: 'deployments',
      },
    });
    expect(
      c.store.getObject('Deployment', NS, 'vastai-integration')!.metadata
        .labels!.x,
    ).toBeUndefined();
    const ok = await c.request('PATCH', DEP_PATH, {
      contentType: 'application/merge-patch+json',
      body: {
        metadata: {
          resourceVersion: current.metadata.resourceVersion,
          labels: { x: 'y' },
        },
      },
    });
    expect(ok.status).toBe(200);
    expect(Number(ok.body.metadata.resourceVersion)).toBeGreaterThan(
      Number(current.metadata.resourceVersion),
    );
    expect(ok.body.metadata.generation).toBe(current.metadata.generation); // metadata-only change

    const unsupported = await c.request('PATCH', DEP_PATH, {
      contentType: 'text/plain',
      body: '{}',
    });
    expect(unsupported.body).toMatchObject({
      reason: 'UnsupportedMediaType',
      code: 415,
    });

    const invalid = await c.request(
      'POST',
      '/apis/apps/v1/namespaces/vastai/deployments',
      {
        body: {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name: 'broken' },
          spec: {
            selector: { matchLabels: { app: 'a' } },
            template: {
              metadata: { labels: { app: 'b' } },
              spec: { containers: [{ name: 'c', image: 'i' }] },
            },
          },
        },
      },
    );
    expect(invalid.status).toBe(422);
    expect(invalid.body).toMatchObject({
      reason: 'Invalid',
      details: {
        kind: 'Deployment',
        causes: [{ field: 'spec.template.metadata.labels' }],
      },
    });
    expect(c.store.getObject('Deployment', NS, 'broken')).toBeUndefined();
    const badSecret = await c.request(
      'POST',
      '/api/v1/namespaces/vastai/secrets',
      { body: { metadata: { name: 's' }, data: { k: 'not base64!' } } },
    );
    expect(badSecret.status).toBe(400);
    const writes = c.store.writes().filter(w => w.path.endsWith('/secrets'));
    expect(writes.at(-1)).toMatchObject({
      method: 'POST',
      status: 400,
      body: { data: { k: '***' } },
    });
  });

  it('creates and replaces with dryRun=All without persisting', async () => {
    c.store.clearWrites();
    const body = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'dry' },
      stringData: { 'api-key': 'sekret-value' },
    };
    const dry = await c.request(
      'POST',
      '/api/v1/namespaces/vastai/secrets?dryRun=All',
      { body },
    );
    expect(dry.status).toBe(201);
    expect(dry.body.data['api-key']).toBe(
      Buffer.from('sekret-value').toString('base64'),
    );
    expect(c.store.getObject('Secret', NS, 'dry')).toBeUndefined();
    const created = await c.request(
      'POST',
      '/api/v1/namespaces/vastai/secrets',
      { body },
    );
    expect(created.status).toBe(201);
    const put = await c.request(
      'PUT',
      '/api/v1/namespaces/vastai/secrets/dry?dryRun=All',
      {
        body: { ...body, stringData: { 'api-key': 'other' } },
      },
    );
    expect(put.status).toBe(200);
    expect(c.store.getSecretData(NS, 'dry')).toEqual({
      'api-key': 'sekret-value',
    });
    const writes = c.store.writes();
    expect(writes.map(w => [w.method, w.dryRun, w.status])).toEqual([
      ['POST', true, 201],
      ['POST', false, 201],
      ['PUT', true, 200],
    ]);
    expect(JSON.stringify(writes)).not.toContain('sekret-value');
    expect(JSON.stringify(writes)).not.toContain('other');
  });

  it('prints Tables when asked, and scales through the scale subresource', async () => {
    const table = await c.request(
      'GET',
      '/apis/apps/v1/namespaces/vastai/deployments',
      {
        accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json',
      },
    );
    expect(table.body.kind).toBe('Table');
    expect(table.body.columnDefinitions.map((x: any) => x.name)).toEqual([
      'Name',
      'Ready',
      'Up-to-date',
      'Available',
      'Age',
      'Containers',
      'Images',
      'Selector',
    ]);
    expect(table.body.rows[0].object.kind).toBe('PartialObjectMetadata');

    const scale = await c.request(
      'GET',
      '/apis/apps/v1/namespaces/vastai/deployments/vastai-batch-worker/scale',
    );
    expect(scale.body).toMatchObject({
      kind: 'Scale',
      spec: { replicas: 1 },
      status: { replicas: 1, selector: 'app=vastai-batch-worker' },
    });
    const scaled = await c.request(
      'PATCH',
      '/apis/apps/v1/namespaces/vastai/deployments/vastai-batch-worker/scale',
      {
        contentType: 'application/merge-patch+json',
        body: { spec: { replicas: 3 } },
      },
    );
    expect(scaled.body.spec.replicas).toBe(3);
    await eventually(
      () => c.store.runningPods(NS, 'vastai-batch-worker').length === 3,
    );
  });

  it('answers metadata-only lists and deletes collections by selector', async () => {
    for (const name of ['a', 'b', 'c']) {
      const r = await c.request(
        'POST',
        '/api/v1/namespaces/vastai/configmaps',
        {
          body: {
            metadata: {
              name,
              labels: { group: name === 'c' ? 'keep' : 'drop' },
            },
            data: { k: name },
          },
        },
      );
      expect(r.status).toBe(201);
    }
    const meta = await c.request(
      'GET',
      '/api/v1/namespaces/vastai/configmaps',
      {
        accept:
          'application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io,application/json',
      },
    );
    expect(meta.body.kind).toBe('PartialObjectMetadataList');
    expect(meta.body.items.map((i: any) => [i.kind, i.metadata.name])).toEqual([
      ['PartialObjectMetadata', 'a'],
      ['PartialObjectMetadata', 'b'],
      ['PartialObjectMetadata', 'c'],
    ]);
    const badSelector = await c.request(
      'DELETE',
      '/api/v1/namespaces/vastai/configmaps?labelSelector=a%20in%20b',
    );
    expect(badSelector.status).toBe(400);
    const deleted = await c.request(
      'DELETE',
      '/api/v1/namespaces/vastai/configmaps?labelSelector=group%3Ddrop',
    );
    expect(deleted.status).toBe(200);
    expect(deleted.body.items.map((i: any) => i.metadata.name)).toEqual([
      'a',
      'b',
    ]);
    expect(
      c.store.listObjects('ConfigMap', NS).map(o => o.metadata.name),
    ).toEqual(['c']);
  });

  it('streams watch events from a resourceVersion and lists with limit/continue', async () => {
    const list = await c.request(
      'GET',
      '/api/v1/namespaces/vastai/pods?limit=1',
    );
    expect(list.body.kind).toBe('PodList');
    expect(list.body.items.length).toBeGreaterThan(1); // limit is ignored, never harmful
    const rv = list.body.metadata.resourceVersion;
    const events: any[] = [];
    const done = new Promise<void>((resolve, reject) => {
      const req = https.request(
        new URL(
          `/api/v1/namespaces/vastai/pods?watch=true&resourceVersion=${rv}&labelSelector=app%3Dvastai-batch-worker&timeoutSeconds=2`,
          c.server.url,
        ),
        {
          ca: c.server.caCert,
          headers: { authorization: `Bearer ${c.token}` },
        },
        res => {
          let buf = '';
          res.on('data', d => {
            buf += d;
            const lines = buf.split('\n');
            buf = lines.pop()!;
            for (const l of lines) events.push(JSON.parse(l));
          });
          res.on('end', resolve);
        },
      );
      req.on('error', reject);
      req.end();
    });
    await c.request(
      'PATCH',
      '/apis/apps/v1/namespaces/vastai/deployments/vastai-batch-worker',
      {
        contentType: 'application/strategic-merge-patch+json',
        body: {
          spec: { template: { metadata: { annotations: { bump: '1' } } } },
        },
      },
    );
    await eventually(() => events.some(e => e.type === 'DELETED'), 10_000);
    expect(
      events.every(e => e.object.metadata.labels.app === 'vastai-batch-worker'),
    ).toBe(true);
    expect(events.map(e => e.type)).toEqual(
      expect.arrayContaining(['ADDED', 'MODIFIED', 'DELETED']),
    );
    const rvs = events.map(e => Number(e.object.metadata.resourceVersion));
    expect(rvs).toEqual([...rvs].sort((a, b) => a - b));
    expect(rvs[0]).toBeGreaterThan(Number(rv));
    await done; // timeoutSeconds ends the stream
  });
});

describe('server shutdown', () => {
  it('ends open watch streams when the server closes', async () => {
    const store = new InMemoryKubeStore({ rolloutStepMs: 50 });
    store.reset({
      namespaces: ['ns'],
      secrets: [],
      deployments: [
        {
          namespace: 'ns',
          name: 'web',
          replicas: 1,
          image: 'nginx:1',
          env: [],
        },
      ],
    });
    const server = await createKubeApiServer(store, { port: 0, token: null });
    const ended = new Promise<string[]>((resolve, reject) => {
      const types: string[] = [];
      const http = require('http') as typeof import('http');
      http
        .get(
          `${server.url}/apis/apps/v1/watch/namespaces/ns/deployments`,
          res => {
            res.on('data', d =>
              String(d)
                .trim()
                .split('\n')
                .forEach(l => types.push(JSON.parse(l).type)),
            );
            res.on('end', () => resolve(types));
            res.on('error', () => resolve(types));
            res.on('aborted', () => resolve(types));
          },
        )
        .on('error', reject);
    });
    await new Promise(r => setTimeout(r, 200));
    const t0 = Date.now();
    await server.close();
    store.close();
    expect(await ended).toEqual(['ADDED']);
    expect(Date.now() - t0).toBeLessThan(2000);
  });
});
