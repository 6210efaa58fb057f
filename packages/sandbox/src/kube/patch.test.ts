import {
  jsonPatch,
  mergePatch,
  strategicMergePatch,
  PatchError,
} from './patch';
import {
  matchesFields,
  matchesLabels,
  parseFieldSelector,
  parseLabelSelector,
} from './selectors';

const deployment = () => ({
  metadata: { name: 'd', labels: { app: 'd', tier: 'x' }, finalizers: ['a'] },
  spec: {
    template: {
      spec: {
        containers: [
          {
            name: 'app',
            image: 'img:1',
            env: [
              { name: 'A', value: '1' },
              { name: 'B', value: '2' },
              {
                name: 'KEY',
                valueFrom: { secretKeyRef: { name: 's', key: 'k' } },
              },
            ],
            ports: [{ containerPort: 8080, name: 'http' }],
            volumeMounts: [{ name: 'v', mountPath: '/data' }],
            args: ['--a', '--b'],
          },
          { name: 'sidecar', image: 'side:1' },
        ],
        volumes: [{ name: 'v', emptyDir: {} }],
      },
    },
  },
});

describe('strategic merge patch', () => {
  it('merges containers and env by name, keeping the rest', () => {
    const out: any = strategicMergePatch(deployment(), {
      spec: {
        template: {
          spec: {
            containers: [
              {
                name: 'app',
                env: [
                  { name: 'B', value: 'two' },
                  { name: 'C', value: '3' },
                ],
              },
            ],
          },
        },
      },
    });
    const app = out.spec.template.spec.containers[0];
    expect(app.image).toBe('img:1');
    expect(app.env).toEqual([
      { name: 'A', value: '1' },
      { name: 'B', value: 'two' },
      { name: 'KEY', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } },
      { name: 'C', value: '3' },
    ]);
    expect(out.spec.template.spec.containers[1]).toEqual({
      name: 'sidecar',
      image: 'side:1',
    });
  });

  it('honours kubectl set env directives: $setElementOrder and $patch: delete', () => {
    const out: any = strategicMergePatch(deployment(), {
      spec: {
        template: {
          spec: {
            '$setElementOrder/containers': [
              { name: 'sidecar' },
              { name: 'app' },
            ],
            containers: [
              {
                name: 'app',
                '$setElementOrder/env': [
                  { name: 'KEY' },
                  { name: 'A' },
                  { name: 'Z' },
                ],
                env: [
                  { name: 'B', $patch: 'delete' },
                  { name: 'Z', value: 'z' },
                ],
              },
            ],
          },
        },
      },
    });
    expect(out.spec.template.spec.containers.map((c: any) => c.name)).toEqual([
      'sidecar',
      'app',
    ]);
    expect(
      out.spec.template.spec.containers[1].env.map((e: any) => e.name),
    ).toEqual(['KEY', 'A', 'Z']);
  });

  it('merges ports by containerPort, volumes by name, volumeMounts by mountPath; replaces atomic lists', () => {
    const out: any = strategicMergePatch(deployment(), {
      spec: {
        template: {
          spec: {
            containers: [
              {
                name: 'app',
                ports: [{ containerPort: 9090, name: 'metrics' }],
                volumeMounts: [{ name: 'w', mountPath: '/data' }],
                args: ['--c'],
              },
            ],
            volumes: [{ name: 'w', emptyDir: {} }],
          },
        },
      },
    });
    const app = out.spec.template.spec.containers[0];
    expect(app.ports.map((p: any) => p.containerPort)).toEqual([8080, 9090]);
    expect(app.volumeMounts).toEqual([{ name: 'w', mountPath: '/data' }]);
    expect(app.args).toEqual(['--c']);
    expect(out.spec.template.spec.volumes.map((v: any) => v.name)).toEqual([
      'v',
      'w',
    ]);
  });

  it('supports $patch: replace on maps and lists, $retainKeys, $deleteFromPrimitiveList and null deletes', () => {
    const out: any = strategicMergePatch(deployment(), {
      metadata: {
        labels: { $patch: 'replace', only: 'this' },
        '$deleteFromPrimitiveList/finalizers': ['a'],
      },
      spec: {
        template: {
          spec: {
            containers: [
              {
                name: 'app',
                env: [{ $patch: 'replace' }, { name: 'ONLY', value: '1' }],
              },
            ],
            volumes: [
              {
                name: 'v',
                $retainKeys: ['name', 'configMap'],
                configMap: { name: 'cm' },
              },
            ],
          },
        },
      },
    });
    expect(out.metadata.labels).toEqual({ only: 'this' });
    expect(out.metadata.finalizers).toEqual([]);
    expect(out.spec.template.spec.containers[0].env).toEqual([
      { name: 'ONLY', value: '1' },
    ]);
    expect(out.spec.template.spec.volumes).toEqual([
      { name: 'v', configMap: { name: 'cm' } },
    ]);
    const nulled: any = strategicMergePatch(deployment(), {
      metadata: { labels: { tier: null } },
    });
    expect(nulled.metadata.labels).toEqual({ app: 'd' });
    const deleted: any = strategicMergePatch(deployment(), {
      spec: {
        template: {
          spec: { containers: [{ name: 'sidecar', $patch: 'delete' }] },
        },
      },
    });
    expect(
      deleted.spec.template.spec.containers.map((c: any) => c.name),
    ).toEqual(['app']);
  });

  it('rejects list items without their merge key', () => {
    expect(() =>
      strategicMergePatch(deployment(), {
        spec: { template: { spec: { containers: [{ image: 'x' }] } } },
      }),
    ).toThrow(PatchError);
  });
});

describe('merge patch and JSON patch', () => {
  it('follows RFC 7386', () => {
    expect(
      mergePatch({ a: 'b', c: { d: 'e', f: 'g' } }, { a: 'z', c: { f: null } }),
    ).toEqual({ a: 'z', c: { d: 'e' } });
    expect(mergePatch({ a: [1, 2] }, { a: [3] })).toEqual({ a: [3] });
  });
  it('follows RFC 6902 and fails on a failed test op', () => {
    expect(
      jsonPatch({ a: { b: 1 } }, [
        { op: 'add', path: '/a/c', value: 2 },
        { op: 'remove', path: '/a/b' },
      ]),
    ).toEqual({ a: { c: 2 } });
    expect(() =>
      jsonPatch({ a: 1 }, [{ op: 'test', path: '/a', value: 2 }]),
    ).toThrow(PatchError);
  });
});

describe('selectors', () => {
  const labels = { app: 'web', tier: 'front' };
  it.each([
    ['app=web', true],
    ['app==web', true],
    ['app!=web', false],
    ['app in (api, web)', true],
    ['app notin (web)', false],
    ['tier', true],
    ['!tier', false],
    ['missing!=x', true],
    ['app=web,tier in (back)', false],
  ])('%s -> %s', (sel, expected) => {
    expect(matchesLabels(labels, parseLabelSelector(sel))).toBe(expected);
  });
  it('matches field paths', () => {
    const obj = {
      metadata: { name: 'p', namespace: 'n' },
      status: { phase: 'Running' },
      involvedObject: { kind: 'Pod' },
    };
    expect(
      matchesFields(
        obj,
        parseFieldSelector('metadata.name=p,status.phase=Running'),
      ),
    ).toBe(true);
    expect(
      matchesFields(obj, parseFieldSelector('involvedObject.kind!=Pod')),
    ).toBe(false);
  });
});
