/**
 * The real kubectl (/usr/bin/kubectl, v1.32) against the simulated API server, asserting the
 * objects that result in the store.
 */
import fs from 'fs';
import path from 'path';
import { KubeTestCluster, eventually, startKubeTestCluster } from '../testing';
import { StartedPod } from './types';

jest.setTimeout(60_000);

const NS = 'vastai';
const DEP = 'vastai-integration';

describe('kubectl against the simulated API server', () => {
  let c: KubeTestCluster;
  const started: StartedPod[] = [];
  const stopped: string[] = [];

  beforeAll(async () => {
    c = await startKubeTestCluster();
    c.store.onPodStarted(p => started.push(p));
    c.store.onPodStopped(p => stopped.push(p.name));
  });
  afterAll(async () => {
    await c?.close();
  });

  const podsOf = (dep: string) => c.store.listObjects('Pod', NS, { app: dep });

  it('gets deployments, pods and secrets as JSON', async () => {
    const deps = JSON.parse(
      await c.kubectl(['get', 'deployments', '-o', 'json']),
    );
    expect(deps.kind).toBe('List');
    expect(deps.items.map((d: any) => d.metadata.name).sort()).toEqual([
      'vastai-batch-worker',
      DEP,
    ]);
    const dep = deps.items.find((d: any) => d.metadata.name === DEP);
    expect(dep.metadata.labels).toMatchObject({
      app: DEP,
      'backstage.io/kubernetes-id': DEP,
    });
    expect(dep.status).toMatchObject({
      replicas: 2,
      readyReplicas: 2,
      availableReplicas: 2,
      updatedReplicas: 2,
    });
    expect(
      dep.status.conditions.map((x: any) => `${x.type}=${x.reason}`),
    ).toEqual([
      'Available=MinimumReplicasAvailable',
      'Progressing=NewReplicaSetAvailable',
    ]);

    const pods = JSON.parse(
      await c.kubectl(['get', 'pods', '-o', 'json', '-l', `app=${DEP}`]),
    );
    expect(pods.items).toHaveLength(2);
    for (const p of pods.items) {
      expect(p.metadata.ownerReferences[0].kind).toBe('ReplicaSet');
      expect(p.metadata.labels['pod-template-hash']).toMatch(/^[a-z0-9]{10}$/);
      expect(p.status.phase).toBe('Running');
      expect(p.status.containerStatuses[0].ready).toBe(true);
    }

    const secret = JSON.parse(
      await c.kubectl(['get', 'secret', 'vastai-secrets', '-o', 'json']),
    );
    expect(Buffer.from(secret.data['api-key'], 'base64').toString()).toBe(
      c.store.getSecretData(NS, 'vastai-secrets')!['api-key'],
    );
  });

  it('falls back from aggregated to legacy discovery and validates through OpenAPI v3', async () => {
    const r = await c.kubectlRun([
      'get',
      'pods',
      '-v=6',
      // a fresh discovery cache, so discovery really happens
      `--cache-dir=${path.join(c.dir, 'fresh-cache')}`,
    ]);
    expect(r.code).toBe(0);
    for (const p of ['/api', '/apis', '/api/v1', '/apis/apps/v1']) {
      expect(r.stderr).toContain(`GET ${c.server.url}${p}?timeout=32s 200 OK`);
    }
    const file = path.join(c.dir, 'web.json');
    const web = (value: string) => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', labels: { app: 'web' } },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: {
            containers: [
              {
                name: 'web',
                image: 'nginx:1.27',
                env: [{ name: 'MODE', value }],
              },
            ],
          },
        },
      },
    });
    fs.writeFileSync(file, JSON.stringify(web('a')));
    const created = await c.kubectlRun(['apply', '-f', file, '-v=6']);
    expect(created.stdout).toContain('deployment.apps/web created');
    expect(created.stderr).toMatch(
      /GET \S+\/openapi\/v3\/apis\/apps\/v1\?hash=\w+&timeout=32s 200 OK/,
    );
    expect(created.stderr).toMatch(
      /POST \S+\/deployments\?fieldManager=kubectl-client-side-apply&fieldValidation=Strict 201/,
    );
    fs.writeFileSync(file, JSON.stringify(web('b')));
    expect(await c.kubectl(['apply', '-f', file])).toContain(
      'deployment.apps/web configured',
    );
    await c.kubectl(['rollout', 'status', 'deployment/web', '--timeout=30s']);
    expect(c.store.runningPods(NS, 'web').map(p => p.env)).toEqual([
      { MODE: 'b' },
    ]);
    expect(c.store.listObjects('ReplicaSet', NS, { app: 'web' })).toHaveLength(
      2,
    );
    await c.kubectl(['delete', 'deployment', 'web']);
    expect(c.store.getObject('Deployment', NS, 'web')).toBeUndefined();
    await eventually(
      () => c.store.listObjects('Pod', NS, { app: 'web' }).length === 0,
    );
    expect(c.store.listObjects('ReplicaSet', NS, { app: 'web' })).toEqual([]);
  });

  it('serves pod metrics for kubectl top', async () => {
    const out = await c.kubectl(['top', 'pods', '-l', `app=${DEP}`]);
    expect(out.split('\n')[0]).toMatch(
      /^NAME\s+CPU\(cores\)\s+MEMORY\(bytes\)/,
    );
    for (const p of podsOf(DEP))
      expect(out).toMatch(new RegExp(`${p.metadata.name}\\s+\\d+m\\s+\\d+Mi`));
  });

  it('prints server-side tables with the real columns', async () => {
    const deployTable = await c.kubectl(['get', 'deployments']);
    const lines = deployTable.trim().split('\n');
    expect(lines[0].split(/\s+/)).toEqual([
      'NAME',
      'READY',
      'UP-TO-DATE',
      'AVAILABLE',
      'AGE',
    ]);
    expect(
      lines
        .find(l => l.startsWith(DEP))!
        .split(/\s+/)
        .slice(0, 4),
    ).toEqual([DEP, '2/2', '2', '2']);

    const podTable = await c.kubectl(['get', 'pods', '-o', 'wide']);
    expect(podTable.split('\n')[0].split(/\s{2,}/)).toEqual([
      'NAME',
      'READY',
      'STATUS',
      'RESTARTS',
      'AGE',
      'IP',
      'NODE',
      'NOMINATED NODE',
      'READINESS GATES',
    ]);
    expect(podTable).toMatch(
      new RegExp(`${DEP}-[a-z0-9]{10}-[a-z0-9]{5}\\s+1/1\\s+Running\\s+0`),
    );

    const secretTable = await c.kubectl(['get', 'secrets']);
    expect(secretTable).toMatch(/NAME\s+TYPE\s+DATA\s+AGE/);
    expect(secretTable).toMatch(/vastai-secrets\s+Opaque\s+1\s+/);

    const all = await c.kubectl(['get', 'pods', '-A']);
    expect(all.split('\n')[0]).toMatch(/^NAMESPACE\s+NAME\s+READY/);
  });

  it('describes a deployment', async () => {
    const out = await c.kubectl(['describe', 'deployment', DEP]);
    expect(out).toMatch(
      /Replicas:\s+2 desired \| 2 updated \| 2 total \| 2 available \| 0 unavailable/,
    );
    expect(out).toMatch(/StrategyType:\s+RollingUpdate/);
    expect(out).toMatch(
      /VASTAI_API_KEY:\s+<set to the key 'api-key' in secret 'vastai-secrets'>/,
    );
    const rs = c.store
      .listObjects('ReplicaSet', NS, { app: DEP })
      .find(r => r.spec.replicas === 2)!;
    expect(out).toContain(
      `NewReplicaSet:   ${rs.metadata.name} (2/2 replicas created)`,
    );
  });

  it('reads logs of a deployment and a pod with --since, --tail, --timestamps and --previous', async () => {
    const now = Date.now();
    for (const p of podsOf(DEP)) {
      c.store.appendPodLog(
        NS,
        p.metadata.name,
        'old line',
        new Date(now - 2 * 3600_000),
      );
      c.store.appendPodLog(
        NS,
        p.metadata.name,
        'ERROR upstream 401',
        new Date(now - 60_000),
      );
      c.store.appendPodLog(
        NS,
        p.metadata.name,
        'request ok',
        new Date(now - 1000),
      );
    }
    const all = await c.kubectl(['logs', `deployment/${DEP}`]);
    expect(all.trim().split('\n')).toEqual([
      'old line',
      'ERROR upstream 401',
      'request ok',
    ]);
    expect(
      (await c.kubectl(['logs', `deployment/${DEP}`, '--since=1h']))
        .trim()
        .split('\n'),
    ).toEqual(['ERROR upstream 401', 'request ok']);
    expect(
      (await c.kubectl(['logs', `deployment/${DEP}`, '--since=30s'])).trim(),
    ).toBe('request ok');
    const sinceTime = new Date(now - 90_000).toISOString();
    expect(
      (
        await c.kubectl([
          'logs',
          `deployment/${DEP}`,
          `--since-time=${sinceTime}`,
        ])
      )
        .trim()
        .split('\n'),
    ).toEqual(['ERROR upstream 401', 'request ok']);
    expect(
      (await c.kubectl(['logs', `deployment/${DEP}`, '--tail=1'])).trim(),
    ).toBe('request ok');
    const stamped = (
      await c.kubectl(['logs', `deployment/${DEP}`, '--tail=1', '--timestamps'])
    ).trim();
    expect(stamped).toMatch(
      /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{9}Z request ok$/,
    );
    expect(Date.parse(stamped.split(' ')[0])).toBe(now - 1000);
    expect(
      await c.kubectl(['logs', `deployment/${DEP}`, '--limit-bytes=4']),
    ).toBe('old ');

    const pod = podsOf(DEP)[0].metadata.name;
    expect(
      (await c.kubectl(['logs', pod, '-c', 'app', '--tail=2']))
        .trim()
        .split('\n'),
    ).toEqual(['ERROR upstream 401', 'request ok']);
    const noPrevious = await c.kubectlFails(['logs', pod, '--previous']);
    expect(noPrevious.stderr).toContain(
      `previous terminated container "app" in pod "${pod}" not found`,
    );
    const badContainer = await c.kubectlFails(['logs', pod, '-c', 'nope']);
    expect(badContainer.stderr).toMatch(/container nope is not valid for pod/);
  });

  it('set env --dry-run=server changes nothing but records a dry-run write', async () => {
    const before = c.store.getObject('Deployment', NS, DEP)!;
    c.store.clearWrites();
    const out = JSON.parse(
      await c.kubectl([
        'set',
        'env',
        `deployment/${DEP}`,
        'RATE_LIMIT_MODE=queue',
        '--dry-run=server',
        '-o',
        'json',
      ]),
    );
    expect(
      out.spec.template.spec.containers[0].env.find(
        (e: any) => e.name === 'RATE_LIMIT_MODE',
      ).value,
    ).toBe('queue');
    const after = c.store.getObject('Deployment', NS, DEP)!;
    expect(after.metadata.resourceVersion).toBe(
      before.metadata.resourceVersion,
    );
    expect(after.metadata.generation).toBe(before.metadata.generation);
    expect(after.spec.template.spec.containers[0].env[0]).toEqual({
      name: 'RATE_LIMIT_MODE',
      value: 'direct',
    });
    const writes = c.store.writes();
    expect(writes).toHaveLength(1);
    expect(writes[0]).toMatchObject({
      method: 'PATCH',
      resource: 'deployments',
      namespace: NS,
      name: DEP,
      dryRun: true,
      contentType: 'application/strategic-merge-patch+json',
      status: 200,
    });
    expect(writes[0].userAgent).toMatch(/^kubectl\//);
  });

  it('set env rolls the deployment out; pods start with the new env; rollout status returns when complete', async () => {
    const oldPods = podsOf(DEP).map(p => p.metadata.name);
    started.length = 0;
    stopped.length = 0;
    await c.kubectl([
      'set',
      'env',
      `deployment/${DEP}`,
      'RATE_LIMIT_MODE=queue',
    ]);
    const dep = c.store.getObject('Deployment', NS, DEP)!;
    expect(dep.metadata.generation).toBe(2);
    const status = await c.kubectl([
      'rollout',
      'status',
      `deployment/${DEP}`,
      '--timeout=30s',
    ]);
    expect(status).toContain(`deployment "${DEP}" successfully rolled out`);
    const done = c.store.getObject('Deployment', NS, DEP)!;
    expect(done.status).toMatchObject({
      observedGeneration: 2,
      updatedReplicas: 2,
      availableReplicas: 2,
    });
    expect(
      done.status.conditions.find((x: any) => x.type === 'Progressing').reason,
    ).toBe('NewReplicaSetAvailable');
    expect(
      done.metadata.annotations!['deployment.kubernetes.io/revision'],
    ).toBe('2');

    const newStarts = started.filter(p => p.deployment === DEP);
    expect(newStarts).toHaveLength(2);
    for (const p of newStarts) {
      expect(p.env).toMatchObject({
        RATE_LIMIT_MODE: 'queue',
        VASTAI_API_KEY: 'key-one',
      });
      expect(oldPods).not.toContain(p.name);
    }
    await eventually(() => stopped.length === 2 && podsOf(DEP).length === 2);
    expect(stopped.sort()).toEqual([...oldPods].sort());
    expect(
      c.store.runningPods(NS, DEP).map(p => p.env.RATE_LIMIT_MODE),
    ).toEqual(['queue', 'queue']);
    expect(c.store.listObjects('ReplicaSet', NS, { app: DEP })).toHaveLength(2);
  });

  it('rollout restart sets restartedAt and replaces every pod through a new ReplicaSet', async () => {
    const oldPods = podsOf(DEP).map(p => p.metadata.name);
    const oldRs = c.store
      .listObjects('ReplicaSet', NS, { app: DEP })
      .map(r => r.metadata.name);
    await c.kubectl(['rollout', 'restart', `deployment/${DEP}`]);
    const dep = c.store.getObject('Deployment', NS, DEP)!;
    const restartedAt =
      dep.spec.template.metadata.annotations[
        'kubectl.kubernetes.io/restartedAt'
      ];
    expect(Math.abs(Date.parse(restartedAt) - Date.now())).toBeLessThan(10_000);
    await c.kubectl([
      'rollout',
      'status',
      `deployment/${DEP}`,
      '--timeout=30s',
    ]);
    const rss = c.store.listObjects('ReplicaSet', NS, { app: DEP });
    const newRs = rss.filter(r => !oldRs.includes(r.metadata.name));
    expect(newRs).toHaveLength(1);
    expect(
      newRs[0].spec.template.metadata.annotations[
        'kubectl.kubernetes.io/restartedAt'
      ],
    ).toBe(restartedAt);
    await eventually(
      () =>
        podsOf(DEP).length === 2 &&
        podsOf(DEP).every(p => !p.metadata.deletionTimestamp),
    );
    const pods = podsOf(DEP);
    expect(pods.every(p => !oldPods.includes(p.metadata.name))).toBe(true);
    expect(
      pods.every(
        p =>
          p.metadata.labels!['pod-template-hash'] ===
          newRs[0].metadata.labels!['pod-template-hash'],
      ),
    ).toBe(true);
  });

  it('rollout undo brings the previous ReplicaSet back as the newest revision', async () => {
    const rssBefore = c.store.listObjects('ReplicaSet', NS, { app: DEP });
    const active = rssBefore.find(r => r.spec.replicas === 2)!;
    const previous = rssBefore
      .filter(r => r.metadata.name !== active.metadata.name)
      .sort(
        (a, b) =>
          Number(b.metadata.annotations!['deployment.kubernetes.io/revision']) -
          Number(a.metadata.annotations!['deployment.kubernetes.io/revision']),
      )[0];
    await c.kubectl(['rollout', 'undo', `deployment/${DEP}`]);
    await c.kubectl([
      'rollout',
      'status',
      `deployment/${DEP}`,
      '--timeout=30s',
    ]);
    const rss = c.store.listObjects('ReplicaSet', NS, { app: DEP });
    expect(rss).toHaveLength(rssBefore.length); // no new ReplicaSet: the old template is reused
    const restored = rss.find(r => r.metadata.name === previous.metadata.name)!;
    expect(restored.spec.replicas).toBe(2);
    const revision =
      restored.metadata.annotations!['deployment.kubernetes.io/revision'];
    expect(
      c.store.getObject('Deployment', NS, DEP)!.metadata.annotations![
        'deployment.kubernetes.io/revision'
      ],
    ).toBe(revision);
    expect(Number(revision)).toBeGreaterThan(
      Number(active.metadata.annotations!['deployment.kubernetes.io/revision']),
    );
    // and forward again, so the following tests see the restarted template
    await c.kubectl(['rollout', 'undo', `deployment/${DEP}`]);
    await c.kubectl([
      'rollout',
      'status',
      `deployment/${DEP}`,
      '--timeout=30s',
    ]);
    await eventually(() => c.store.runningPods(NS, DEP).length === 2);
  });

  it('a strategic-merge env patch with a rotated secret starts pods with the new key', async () => {
    started.length = 0;
    c.store.clearWrites();
    await c.kubectl([
      'patch',
      'secret',
      'vastai-secrets',
      '--type=merge',
      '-p',
      JSON.stringify({
        data: { 'api-key': Buffer.from('key-two').toString('base64') },
      }),
    ]);
    expect(c.store.getSecretData(NS, 'vastai-secrets')).toEqual({
      'api-key': 'key-two',
    });
    // the running pods keep the key they started with
    expect(c.store.runningPods(NS, DEP).map(p => p.env.VASTAI_API_KEY)).toEqual(
      ['key-one', 'key-one'],
    );
    await c.kubectl([
      'patch',
      'deployment',
      DEP,
      '--type=strategic',
      '-p',
      JSON.stringify({
        spec: {
          template: {
            spec: {
              containers: [
                {
                  name: 'app',
                  env: [{ name: 'VASTAI_FALLBACK', value: 'true' }],
                },
              ],
            },
          },
        },
      }),
    ]);
    const env = c.store.getObject('Deployment', NS, DEP)!.spec.template.spec
      .containers[0].env;
    expect(env.map((e: any) => e.name)).toEqual([
      'RATE_LIMIT_MODE',
      'VASTAI_FALLBACK',
      'VASTAI_API_KEY',
    ]);
    await eventually(
      () => started.filter(p => p.deployment === DEP).length >= 2,
    );
    for (const p of started.filter(x => x.deployment === DEP)) {
      expect(p.env).toEqual({
        RATE_LIMIT_MODE: 'queue',
        VASTAI_FALLBACK: 'true',
        VASTAI_API_KEY: 'key-two',
      });
    }
    await eventually(
      () =>
        c.store.runningPods(NS, DEP).length === 2 &&
        c.store
          .runningPods(NS, DEP)
          .every(p => p.env.VASTAI_API_KEY === 'key-two'),
    );

    // recorded writes never hold the secret value
    const secretWrite = c.store.writes().find(w => w.resource === 'secrets')!;
    expect(secretWrite).toMatchObject({
      method: 'PATCH',
      contentType: 'application/merge-patch+json',
      dryRun: false,
      status: 200,
    });
    expect(JSON.stringify(secretWrite.body)).not.toContain(
      Buffer.from('key-two').toString('base64'),
    );
    expect(secretWrite.body).toEqual({ data: { 'api-key': '***' } });
  });

  it('answers 409 Conflict to a replace with a stale resourceVersion', async () => {
    const stale = await c.kubectl([
      'get',
      'secret',
      'vastai-secrets',
      '-o',
      'json',
    ]);
    await c.kubectl(['label', 'secret', 'vastai-secrets', 'rotated=yes']);
    const file = path.join(c.dir, 'stale.json');
    fs.writeFileSync(file, stale);
    const res = await c.kubectlFails(['replace', '-f', file]);
    expect(res.stderr).toContain('Error from server (Conflict)');
    expect(res.stderr).toContain('the object has been modified');
    expect(
      c.store.getObject('Secret', NS, 'vastai-secrets')!.metadata.labels,
    ).toEqual({ rotated: 'yes' });

    // a fresh replace goes through
    const fresh = JSON.parse(
      await c.kubectl(['get', 'secret', 'vastai-secrets', '-o', 'json']),
    );
    fresh.metadata.labels = { rotated: 'twice' };
    fs.writeFileSync(file, JSON.stringify(fresh));
    await c.kubectl(['replace', '-f', file]);
    expect(
      c.store.getObject('Secret', NS, 'vastai-secrets')!.metadata.labels,
    ).toEqual({ rotated: 'twice' });
  });

  it('applies merge and JSON patches', async () => {
    await c.kubectl([
      'patch',
      'deployment',
      'vastai-batch-worker',
      '--type=merge',
      '-p',
      '{"metadata":{"annotations":{"team":"gpu"}}}',
    ]);
    expect(
      c.store.getObject('Deployment', NS, 'vastai-batch-worker')!.metadata
        .annotations,
    ).toMatchObject({ team: 'gpu' });
    await c.kubectl([
      'patch',
      'deployment',
      'vastai-batch-worker',
      '--type=json',
      '-p',
      '[{"op":"replace","path":"/spec/replicas","value":2},{"op":"remove","path":"/metadata/annotations/team"}]',
    ]);
    const d = c.store.getObject('Deployment', NS, 'vastai-batch-worker')!;
    expect(d.spec.replicas).toBe(2);
    expect(d.metadata.annotations?.team).toBeUndefined();
    await eventually(
      () => c.store.runningPods(NS, 'vastai-batch-worker').length === 2,
    );
    const bad = await c.kubectlFails([
      'patch',
      'deployment',
      'vastai-batch-worker',
      '--type=json',
      '-p',
      '[{"op":"test","path":"/spec/replicas","value":7}]',
    ]);
    expect(bad.stderr).toMatch(/Error from server/);
  });

  it('filters with label and field selectors', async () => {
    // pods of earlier rollouts may still be terminating: wait until the set is stable
    await eventually(() =>
      c.store.listObjects('Pod', NS).every(p => !p.metadata.deletionTimestamp),
    );
    const names = async (args: string[]) =>
      (await c.kubectl(['get', ...args, '-o', 'name']))
        .trim()
        .split('\n')
        .filter(Boolean);
    const integration = podsOf(DEP)
      .map(p => `pod/${p.metadata.name}`)
      .sort();
    const batch = podsOf('vastai-batch-worker')
      .map(p => `pod/${p.metadata.name}`)
      .sort();
    expect((await names(['pods', '-l', `app=${DEP}`])).sort()).toEqual(
      integration,
    );
    expect((await names(['pods', '-l', `app!=${DEP}`])).sort()).toEqual(batch);
    expect(
      (await names(['pods', '-l', `app in (${DEP},vastai-batch-worker)`]))
        .length,
    ).toBe(integration.length + batch.length);
    expect(
      (await names(['pods', '-l', 'app notin (vastai-batch-worker)'])).sort(),
    ).toEqual(integration);
    expect((await names(['pods', '-l', 'pod-template-hash'])).length).toBe(
      integration.length + batch.length,
    );
    expect(await names(['pods', '-l', '!app'])).toEqual([]);
    const first = integration[0].slice('pod/'.length);
    expect(
      await names(['pods', '--field-selector', `metadata.name=${first}`]),
    ).toEqual([`pod/${first}`]);
    expect(
      (
        await names([
          'pods',
          '-A',
          '--field-selector',
          'status.phase=Running,metadata.namespace=vastai',
        ])
      ).length,
    ).toBe(integration.length + batch.length);
    expect(
      await names(['pods', '--field-selector', 'status.phase=Pending']),
    ).toEqual([]);
    const events = JSON.parse(
      await c.kubectl([
        'get',
        'events',
        '--field-selector',
        `involvedObject.kind=Deployment,involvedObject.name=${DEP}`,
        '-o',
        'json',
      ]),
    );
    expect(events.items.length).toBeGreaterThan(0);
    expect(
      events.items.every(
        (e: any) =>
          e.involvedObject.name === DEP && e.reason === 'ScalingReplicaSet',
      ),
    ).toBe(true);
  });

  it('shows crash-looping pods with climbing restarts, BackOff events and previous logs; healing makes them ready', async () => {
    started.length = 0;
    stopped.length = 0;
    const pods = podsOf(DEP).map(p => p.metadata.name);
    for (const p of pods) c.store.appendPodLog(NS, p, 'allocating model cache');
    c.store.setDeploymentFault(NS, DEP, 'crashloop');
    expect(stopped.sort()).toEqual([...pods].sort());
    expect(c.store.runningPods(NS, DEP)).toEqual([]);

    const table = await c.kubectl(['get', 'pods', '-l', `app=${DEP}`]);
    for (const p of pods)
      expect(table).toMatch(
        new RegExp(`${p}\\s+0/1\\s+CrashLoopBackOff\\s+\\d+ \\(\\d+s ago\\)`),
      );
    const restarts = () =>
      c.store.getObject('Pod', NS, pods[0])!.status.containerStatuses[0]
        .restartCount as number;
    const r1 = restarts();
    await eventually(() => restarts() >= r1 + 2, 5000);
    const pod = JSON.parse(
      await c.kubectl(['get', 'pod', pods[0], '-o', 'json']),
    );
    expect(pod.status.containerStatuses[0]).toMatchObject({
      ready: false,
      state: { waiting: { reason: 'CrashLoopBackOff' } },
      lastState: { terminated: { reason: 'OOMKilled', exitCode: 137 } },
    });
    expect(
      pod.status.conditions.find((x: any) => x.type === 'Ready').status,
    ).toBe('False');
    expect((await c.kubectl(['logs', pods[0], '--previous'])).trim()).toBe(
      'allocating model cache',
    );

    const events = JSON.parse(
      await c.kubectl([
        'get',
        'events',
        '--field-selector',
        `reason=BackOff,involvedObject.name=${pods[0]}`,
        '-o',
        'json',
      ]),
    );
    expect(events.items).toHaveLength(1);
    expect(events.items[0]).toMatchObject({
      type: 'Warning',
      involvedObject: { kind: 'Pod', name: pods[0] },
    });
    expect(events.items[0].count).toBeGreaterThanOrEqual(2);
    const dep = JSON.parse(
      await c.kubectl(['get', 'deployment', DEP, '-o', 'json']),
    );
    expect(dep.status.availableReplicas ?? 0).toBe(0);
    expect(dep.status.unavailableReplicas).toBe(2);
    expect(
      dep.status.conditions.find((x: any) => x.type === 'Available'),
    ).toMatchObject({ status: 'False', reason: 'MinimumReplicasUnavailable' });

    c.store.setDeploymentFault(NS, DEP, null);
    await eventually(() => c.store.runningPods(NS, DEP).length === 2, 5000);
    expect(started.map(p => p.name).sort()).toEqual([...pods].sort());
    const healed = await c.kubectl(['get', 'pods', '-l', `app=${DEP}`]);
    for (const p of pods)
      expect(healed).toMatch(new RegExp(`${p}\\s+1/1\\s+Running\\s+\\d+ \\(`));
  });

  it('reports ProgressDeadlineExceeded when a rollout cannot progress', async () => {
    c.store.setDeploymentFault(NS, 'stuck', 'crashloop');
    const file = path.join(c.dir, 'stuck.json');
    fs.writeFileSync(
      file,
      JSON.stringify({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'stuck' },
        spec: {
          replicas: 1,
          progressDeadlineSeconds: 1,
          selector: { matchLabels: { app: 'stuck' } },
          template: {
            metadata: { labels: { app: 'stuck' } },
            spec: { containers: [{ name: 'app', image: 'stuck:1' }] },
          },
        },
      }),
    );
    await c.kubectl(['create', '-f', file]);
    const res = await c.kubectlFails([
      'rollout',
      'status',
      'deployment/stuck',
      '--timeout=20s',
    ]);
    expect(res.stderr).toContain(
      'deployment "stuck" exceeded its progress deadline',
    );
    const progressing = c.store
      .getObject('Deployment', NS, 'stuck')!
      .status.conditions.find((x: any) => x.type === 'Progressing');
    expect(progressing).toMatchObject({
      status: 'False',
      reason: 'ProgressDeadlineExceeded',
    });
    await c.kubectl(['delete', 'deployment', 'stuck']);
  });

  it('creates, lists and deletes objects with kubectl create/delete', async () => {
    const file = path.join(c.dir, 'cm.json');
    fs.writeFileSync(
      file,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'extra' },
        stringData: { token: 'abc' },
      }),
    );
    await c.kubectl(['create', '-f', file]);
    expect(c.store.getSecretData(NS, 'extra')).toEqual({ token: 'abc' });
    const dup = await c.kubectlFails(['create', '-f', file]);
    expect(dup.stderr).toContain('AlreadyExists');
    await c.kubectl(['delete', 'secret', 'extra']);
    expect(c.store.getObject('Secret', NS, 'extra')).toBeUndefined();
    // typed-client creates arrive as protobuf; recorded bodies stay masked
    c.store.clearWrites();
    await c.kubectl([
      'create',
      'secret',
      'generic',
      'typed',
      '--from-literal=api-key=typed-value',
    ]);
    expect(c.store.getSecretData(NS, 'typed')).toEqual({
      'api-key': 'typed-value',
    });
    const [write] = c.store.writes();
    expect(write).toMatchObject({
      method: 'POST',
      resource: 'secrets',
      status: 201,
      body: { data: { 'api-key': '***' } },
    });
    expect(JSON.stringify(write)).not.toContain(
      Buffer.from('typed-value').toString('base64'),
    );
    await c.kubectl([
      'create',
      'configmap',
      'settings',
      '--from-literal=mode=queue',
    ]);
    expect(c.store.getObject('ConfigMap', NS, 'settings')!.data).toEqual({
      mode: 'queue',
    });
    await c.kubectl(['delete', 'configmap', 'settings']);
    // collections the sandbox does not simulate answer empty lists
    expect(
      await c.kubectl([
        'get',
        'services,configmaps,hpa,ingresses,jobs,cronjobs,statefulsets,daemonsets,limitranges,resourcequotas',
        '-o',
        'name',
      ]),
    ).toBe('');
  });
});
