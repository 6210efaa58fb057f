import { deploymentDiff } from './diff';
import {
  DeploymentLike,
  restartPatch,
  rfc3339Seconds,
  rolloutComplete,
  setEnvPatch,
} from './patches';

const secretRef = { secretKeyRef: { name: 'vastai-secrets', key: 'api-key' } };

function deployment(env: any[]): DeploymentLike {
  return {
    metadata: { name: 'svc', namespace: 'ns', generation: 3 },
    spec: {
      replicas: 2,
      template: {
        spec: {
          containers: [
            { name: 'sidecar', env: [{ name: 'X', value: '1' }] },
            { name: 'app', env },
          ],
        },
      },
    },
  };
}

describe('setEnvPatch', () => {
  const base = [
    { name: 'RATE_LIMIT_MODE', value: 'direct' },
    { name: 'VASTAI_API_KEY', valueFrom: secretRef },
  ];

  it("changes a value in place, with kubectl's element order directives", () => {
    expect(
      setEnvPatch(deployment(base), 'app', [
        { name: 'RATE_LIMIT_MODE', value: 'queue' },
      ]),
    ).toEqual({
      spec: {
        template: {
          spec: {
            '$setElementOrder/containers': [
              { name: 'sidecar' },
              { name: 'app' },
            ],
            containers: [
              {
                '$setElementOrder/env': [
                  { name: 'RATE_LIMIT_MODE' },
                  { name: 'VASTAI_API_KEY' },
                ],
                env: [{ name: 'RATE_LIMIT_MODE', value: 'queue' }],
                name: 'app',
              },
            ],
          },
        },
      },
    });
  });

  it('appends a missing variable, deletes one on revert, restores a valueFrom exactly', () => {
    const added = setEnvPatch(deployment(base), 'app', [
      { name: 'VASTAI_FALLBACK', value: 'true' },
    ]) as any;
    expect(
      added.spec.template.spec.containers[0]['$setElementOrder/env'],
    ).toEqual([
      { name: 'RATE_LIMIT_MODE' },
      { name: 'VASTAI_API_KEY' },
      { name: 'VASTAI_FALLBACK' },
    ]);
    const removed = setEnvPatch(
      deployment([...base, { name: 'VASTAI_FALLBACK', value: 'true' }]),
      'app',
      [{ name: 'VASTAI_FALLBACK', remove: true }],
    ) as any;
    expect(removed.spec.template.spec.containers[0].env).toEqual([
      { $patch: 'delete', name: 'VASTAI_FALLBACK' },
    ]);
    const restored = setEnvPatch(
      deployment([{ name: 'RATE_LIMIT_MODE', value: 'queue' }]),
      'app',
      [
        {
          name: 'RATE_LIMIT_MODE',
          entry: { name: 'RATE_LIMIT_MODE', valueFrom: secretRef },
        },
      ],
    ) as any;
    expect(restored.spec.template.spec.containers[0].env).toEqual([
      { name: 'RATE_LIMIT_MODE', valueFrom: secretRef, value: null },
    ]);
  });

  it('sends nothing when nothing changes (as kubectl does)', () => {
    expect(
      setEnvPatch(deployment(base), 'app', [
        { name: 'RATE_LIMIT_MODE', value: 'direct' },
      ]),
    ).toBeUndefined();
    expect(
      setEnvPatch(deployment(base), 'app', [{ name: 'NOPE', remove: true }]),
    ).toBeUndefined();
  });

  it('refuses an unknown container', () => {
    expect(() =>
      setEnvPatch(deployment(base), 'web', [{ name: 'A', value: 'b' }]),
    ).toThrow(/no container "web"/);
  });
});

describe('restart and rollout', () => {
  it('writes restartedAt at second precision, RFC 3339', () => {
    const at = new Date('2026-11-28T22:49:08.765Z');
    expect(rfc3339Seconds(at)).toBe('2026-11-28T22:49:08Z');
    expect(restartPatch(at)).toEqual({
      spec: {
        template: {
          metadata: {
            annotations: {
              'kubectl.kubernetes.io/restartedAt': '2026-11-28T22:49:08Z',
            },
          },
        },
      },
    });
  });

  it.each([
    [
      {
        observedGeneration: 3,
        replicas: 2,
        updatedReplicas: 2,
        availableReplicas: 2,
      },
      true,
    ],
    [
      {
        observedGeneration: 2,
        replicas: 2,
        updatedReplicas: 2,
        availableReplicas: 2,
      },
      false,
    ],
    [
      {
        observedGeneration: 3,
        replicas: 3,
        updatedReplicas: 2,
        availableReplicas: 2,
      },
      false,
    ],
    [
      {
        observedGeneration: 3,
        replicas: 2,
        updatedReplicas: 2,
        availableReplicas: 1,
      },
      false,
    ],
    [{}, false],
  ])('rollout complete for %j: %p', (status, complete) => {
    expect(rolloutComplete({ ...deployment([]), status })).toBe(complete);
  });
});

describe('deploymentDiff', () => {
  it('names what the action changes and never shows a secret value', () => {
    const before = deployment([
      { name: 'A', value: '1' },
      { name: 'K', valueFrom: secretRef },
    ]);
    const after = deployment([
      { name: 'A', value: '2' },
      { name: 'K', valueFrom: secretRef },
      { name: 'B', value: 'x' },
    ]);
    const scope = { env: ['A', 'B', 'K'], restartedAt: false };
    expect(deploymentDiff(before, after, 'app', scope)).toEqual([
      {
        object: 'Deployment ns/svc',
        path: 'spec.template.spec.containers[app].env[A]',
        before: '1',
        after: '2',
      },
      {
        object: 'Deployment ns/svc',
        path: 'spec.template.spec.containers[app].env[B]',
        before: null,
        after: 'x',
      },
    ]);
    const moved = deployment([{ name: 'K', value: 'plain' }]);
    expect(deploymentDiff(before, moved, 'app', scope)[1]).toMatchObject({
      before: '<from Secret vastai-secrets/api-key>',
    });
  });

  it('shows nothing outside the action: other env vars never appear, whatever changed them', () => {
    const before = deployment([{ name: 'A', value: '1' }]);
    const after = deployment([
      { name: 'A', value: '2' },
      { name: 'DB_PASSWORD', value: 'hunter2' },
    ]);
    const lines = deploymentDiff(before, after, 'app', {
      env: ['A'],
      restartedAt: true,
    });
    expect(lines.map(l => l.path)).toEqual([
      'spec.template.spec.containers[app].env[A]',
    ]);
    expect(JSON.stringify(lines)).not.toMatch(/DB_PASSWORD|hunter2/);
  });
});
