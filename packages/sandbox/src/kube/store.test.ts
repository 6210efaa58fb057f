import { InMemoryKubeStore } from './store';
import { findResource } from './resources';
import { defaultTestSeed, eventually } from '../testing';

const NS = 'vastai';
const DEP = 'vastai-integration';
const deployments = findResource('apps', 'v1', 'deployments')!;

describe('InMemoryKubeStore', () => {
  let store: InMemoryKubeStore;
  afterEach(() => store?.close());

  it('seeds Deployments -> ReplicaSets -> Pods like a controller', () => {
    store = new InMemoryKubeStore();
    store.reset(defaultTestSeed());
    const dep = store.getObject('Deployment', NS, DEP)!;
    expect(dep.metadata).toMatchObject({
      generation: 1,
      labels: { app: DEP, 'backstage.io/kubernetes-id': DEP },
    });
    expect(dep.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(typeof dep.metadata.resourceVersion).toBe('string');
    expect(dep.status).toMatchObject({
      observedGeneration: 1,
      replicas: 2,
      updatedReplicas: 2,
      readyReplicas: 2,
      availableReplicas: 2,
    });
    const [rs] = store.listObjects('ReplicaSet', NS, { app: DEP });
    const hash = rs.metadata.labels!['pod-template-hash'];
    expect(rs.metadata.name).toBe(`${DEP}-${hash}`);
    expect(rs.metadata.ownerReferences).toEqual([
      expect.objectContaining({
        kind: 'Deployment',
        name: DEP,
        uid: dep.metadata.uid,
        controller: true,
      }),
    ]);
    const pods = store.listObjects('Pod', NS, { app: DEP });
    expect(pods).toHaveLength(2);
    for (const p of pods) {
      expect(p.metadata.name).toMatch(
        new RegExp(`^${rs.metadata.name}-[a-z0-9]{5}$`),
      );
      expect(p.metadata.ownerReferences[0]).toMatchObject({
        kind: 'ReplicaSet',
        uid: rs.metadata.uid,
      });
      expect(p.metadata.labels).toMatchObject({
        app: DEP,
        'backstage.io/kubernetes-id': DEP,
        'pod-template-hash': hash,
      });
    }
    expect(store.runningPods(NS, DEP).map(p => p.env)).toEqual([
      {
        RATE_LIMIT_MODE: 'direct',
        VASTAI_FALLBACK: 'false',
        VASTAI_API_KEY: 'key-one',
      },
      {
        RATE_LIMIT_MODE: 'direct',
        VASTAI_FALLBACK: 'false',
        VASTAI_API_KEY: 'key-one',
      },
    ]);
    const rvs = [dep, rs, ...pods].map(o => Number(o.metadata.resourceVersion));
    expect(new Set(rvs).size).toBe(rvs.length);
    expect(store.writes()).toEqual([]);
  });

  it('rolls out one pod at a time with real deployment status along the way', async () => {
    store = new InMemoryKubeStore({ rolloutStepMs: 150 });
    store.reset(defaultTestSeed());
    const seen: string[] = [];
    const snapshots: Array<{ ready: number; total: number }> = [];
    const sample = () => {
      const d = store.getObject('Deployment', NS, DEP)!;
      const c = d.status.conditions.find((x: any) => x.type === 'Progressing');
      if (seen[seen.length - 1] !== c.reason) seen.push(c.reason);
      const pods = store
        .listObjects('Pod', NS, { app: DEP })
        .filter(p => !p.metadata.deletionTimestamp);
      snapshots.push({
        ready: store.runningPods(NS, DEP).length,
        total: pods.length,
      });
    };
    sample();
    const timer = setInterval(sample, 10);
    const t0 = Date.now();
    store.patch(deployments, NS, DEP, 'strategic', {
      spec: {
        template: {
          metadata: {
            annotations: {
              'kubectl.kubernetes.io/restartedAt': new Date().toISOString(),
            },
          },
        },
      },
    });
    expect(store.getObject('Deployment', NS, DEP)!.metadata.generation).toBe(2);
    await eventually(() => {
      const d = store.getObject('Deployment', NS, DEP)!;
      return (
        d.status.conditions.find((x: any) => x.type === 'Progressing')
          .reason === 'NewReplicaSetAvailable' &&
        d.status.observedGeneration === 2 &&
        store.listObjects('Pod', NS, { app: DEP }).length === 2
      );
    });
    clearInterval(timer);
    const took = Date.now() - t0;
    expect(took).toBeGreaterThanOrEqual(300); // at least two steps
    // the real controller's sequence of Progressing reasons
    expect(seen).toEqual([
      'NewReplicaSetAvailable',
      'NewReplicaSetCreated',
      'ReplicaSetUpdated',
      'NewReplicaSetAvailable',
    ]);
    // never fewer than 2 ready (maxUnavailable 0 for 2 replicas), never more than 3 pods (maxSurge 1)
    expect(Math.min(...snapshots.map(s => s.ready))).toBe(2);
    expect(Math.max(...snapshots.map(s => s.total))).toBe(3);
    const rss = store.listObjects('ReplicaSet', NS, { app: DEP });
    expect(rss.map(r => r.spec.replicas).sort()).toEqual([0, 2]);
    expect(
      rss
        .map(r => r.metadata.annotations!['deployment.kubernetes.io/revision'])
        .sort(),
    ).toEqual(['1', '2']);
  });

  it('keeps a pod in CreateContainerConfigError while its Secret is missing', async () => {
    store = new InMemoryKubeStore({ rolloutStepMs: 50 });
    const seed = defaultTestSeed();
    seed.secrets = seed.secrets.filter(s => s.name !== 'vastai-batch-secrets');
    store.reset(seed);
    const [pod] = store.listObjects('Pod', NS, { app: 'vastai-batch-worker' });
    expect(pod.status.containerStatuses[0].state.waiting).toMatchObject({
      reason: 'CreateContainerConfigError',
      message: 'secret "vastai-batch-secrets" not found',
    });
    expect(store.runningPods(NS, 'vastai-batch-worker')).toEqual([]);
    const started: string[] = [];
    store.onPodStarted(p => started.push(p.env.VASTAI_API_KEY));
    store.setSecretData(NS, 'vastai-batch-secrets', { 'api-key': 'late-key' });
    await eventually(() => started.length === 1);
    expect(started).toEqual(['late-key']);
  });

  it('stores logs per instance: crash rotates the current log into previous', () => {
    store = new InMemoryKubeStore({ crashLoopIntervalMs: 60_000 });
    store.reset(defaultTestSeed());
    const [pod] = store.listObjects('Pod', NS, { app: DEP });
    const name = pod.metadata.name;
    store.appendPodLog(NS, name, 'first', new Date(Date.now() - 10_000));
    store.appendPodLog(NS, name, 'second');
    expect(store.readLog(NS, name, undefined, { sinceSeconds: 5 })).toBe(
      'second\n',
    );
    expect(store.readLog(NS, name, 'app', { limitBytes: 3 })).toBe('fir');
    store.setDeploymentFault(NS, DEP, 'crashloop');
    expect(store.readLog(NS, name, 'app', { previous: true })).toBe(
      'first\nsecond\n',
    );
    expect(store.readLog(NS, name, 'app', {})).toBe('');
    expect(
      store.getObject('Pod', NS, name)!.status.containerStatuses[0]
        .restartCount,
    ).toBe(1);
    const backoff = store
      .listObjects('Event', NS)
      .filter(e => e.reason === 'BackOff');
    expect(backoff.map(e => e.involvedObject.name).sort()).toEqual(
      store
        .listObjects('Pod', NS, { app: DEP })
        .map(p => p.metadata.name)
        .sort(),
    );
  });

  it('a second reset stops the old pods, tells watchers and keeps the recorded writes', () => {
    store = new InMemoryKubeStore();
    store.reset(defaultTestSeed());
    const oldPods = store.listObjects('Pod', NS, {}).map(p => p.metadata.name);
    store.recordWrite({
      method: 'PATCH',
      path: '/x',
      resource: 'deployments',
      dryRun: false,
      body: {},
      status: 200,
    });
    const rv = Number(store.resourceVersion);
    const stopped: string[] = [];
    store.onPodStopped(p => stopped.push(p.name));
    const seen: string[] = [];
    const stop = store.watch(
      findResource('', 'v1', 'pods')!,
      NS,
      {},
      rv,
      (type, o) => seen.push(`${type} ${o.metadata.name}`),
    );
    store.reset(defaultTestSeed());
    stop();
    expect(stopped.sort()).toEqual([...oldPods].sort());
    expect(
      seen
        .filter(x => x.startsWith('DELETED'))
        .map(x => x.split(' ')[1])
        .sort(),
    ).toEqual([...oldPods].sort());
    expect(seen.filter(x => x.startsWith('ADDED'))).toHaveLength(3);
    expect(Number(store.resourceVersion)).toBeGreaterThan(rv);
    expect(store.writes()).toHaveLength(1);
  });

  it('replays watch history after a resourceVersion', () => {
    store = new InMemoryKubeStore();
    store.reset(defaultTestSeed());
    const secrets = findResource('', 'v1', 'secrets')!;
    const rv = Number(store.resourceVersion);
    store.setSecretData(NS, 'vastai-secrets', { 'api-key': 'rotated' });
    const seen: string[] = [];
    const stop = store.watch(secrets, NS, {}, rv, (type, o) =>
      seen.push(`${type} ${o.metadata.name}`),
    );
    store.addEvent(NS, {
      involvedObject: { kind: 'Deployment', name: DEP },
      type: 'Warning',
      reason: 'Test',
      message: 'x',
    });
    store.setSecretData(NS, 'new-secret', { a: 'b' });
    stop();
    store.setSecretData(NS, 'after-stop', { a: 'b' });
    expect(seen).toEqual(['MODIFIED vastai-secrets', 'ADDED new-secret']);
  });
});

describe('InMemoryKubeStore strategies', () => {
  let store: InMemoryKubeStore;
  afterEach(() => store?.close());

  it('Recreate stops every old pod before starting new ones; scaling down removes pods', async () => {
    store = new InMemoryKubeStore({ rolloutStepMs: 50 });
    store.reset(defaultTestSeed());
    store.patch(deployments, NS, DEP, 'merge', {
      spec: { strategy: { type: 'Recreate', rollingUpdate: null } },
    });
    const oldHash = store.listObjects('Pod', NS, { app: DEP })[0].metadata
      .labels!['pod-template-hash'];
    const activeOldAtStart: number[] = [];
    const stopWatching = store.onPodStarted(() =>
      activeOldAtStart.push(
        store
          .listObjects('Pod', NS, { app: DEP, 'pod-template-hash': oldHash })
          .filter(p => !p.metadata.deletionTimestamp).length,
      ),
    );
    store.patch(deployments, NS, DEP, 'strategic', {
      spec: {
        template: {
          spec: {
            containers: [
              {
                name: 'app',
                image: 'ghcr.io/example/vastai-integration:2.0.0',
              },
            ],
          },
        },
      },
    });
    const isNew = () =>
      store.runningPods(NS, DEP).length === 2 &&
      store
        .listObjects('Pod', NS, { app: DEP })
        .every(p => p.metadata.labels!['pod-template-hash'] !== oldHash);
    await eventually(isNew);
    stopWatching();
    const pods = store.listObjects('Pod', NS, { app: DEP });
    expect(pods).toHaveLength(2);
    expect(pods.every(p => p.spec.containers[0].image.endsWith(':2.0.0'))).toBe(
      true,
    );
    expect(activeOldAtStart).toEqual([0, 0]);

    store.patch(deployments, NS, DEP, 'merge', { spec: { replicas: 1 } });
    await eventually(
      () => store.listObjects('Pod', NS, { app: DEP }).length === 1,
    );
    expect(store.getObject('Deployment', NS, DEP)!.status).toMatchObject({
      replicas: 1,
      readyReplicas: 1,
      availableReplicas: 1,
    });
  });
});
