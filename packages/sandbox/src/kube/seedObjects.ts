/**
 * The objects a re-seed creates, in order: the node, the namespaces, the Secrets and the
 * Deployments of a `KubeSeed` (the controllers then roll the Deployments out).
 */
import { encodeSecretData, isoSeconds } from './objects';
import { KubeSeed } from './types';

export interface SeedObject {
  kind: string;
  /** '' for cluster-scoped kinds. */
  namespace: string;
  body: Record<string, any>;
}

export function seedObjects(seed: KubeSeed, nodeName: string): SeedObject[] {
  const namespaces = new Set(['default', ...seed.namespaces]);
  return [
    { kind: 'Node', namespace: '', body: nodeObject(nodeName) },
    ...[...namespaces].map(name => ({
      kind: 'Namespace',
      namespace: '',
      body: { metadata: { name } },
    })),
    ...seed.secrets.map(s => ({
      kind: 'Secret',
      namespace: s.namespace,
      body: {
        metadata: { name: s.name },
        type: 'Opaque',
        data: encodeSecretData(s.data),
      },
    })),
    ...seed.deployments.map(d => {
      const labels = {
        app: d.name,
        'backstage.io/kubernetes-id': d.name,
        ...(d.labels ?? {}),
      };
      return {
        kind: 'Deployment',
        namespace: d.namespace,
        body: {
          metadata: { name: d.name, labels },
          spec: {
            replicas: d.replicas,
            selector: { matchLabels: { app: d.name } },
            template: {
              metadata: { labels },
              spec: {
                containers: [
                  {
                    name: 'app',
                    image: d.image,
                    ports: [
                      { containerPort: 8080, name: 'http', protocol: 'TCP' },
                    ],
                    env: d.env,
                  },
                ],
              },
            },
          },
        },
      };
    }),
  ];
}

/** The one node every pod runs on (for `kubectl get nodes` and `describe pod`). */
function nodeObject(nodeName: string) {
  const ts = isoSeconds();
  const cond = (
    type: string,
    status: string,
    reason: string,
    message: string,
  ) => ({
    type,
    status,
    lastHeartbeatTime: ts,
    lastTransitionTime: ts,
    reason,
    message,
  });
  return {
    metadata: {
      name: nodeName,
      labels: {
        'kubernetes.io/hostname': nodeName,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'node-role.kubernetes.io/worker': '',
      },
    },
    spec: { podCIDR: '10.244.0.0/24', podCIDRs: ['10.244.0.0/24'] },
    status: {
      capacity: { cpu: '8', memory: '32803444Ki', pods: '110' },
      allocatable: { cpu: '8', memory: '32701044Ki', pods: '110' },
      conditions: [
        cond(
          'MemoryPressure',
          'False',
          'KubeletHasSufficientMemory',
          'kubelet has sufficient memory available',
        ),
        cond(
          'DiskPressure',
          'False',
          'KubeletHasNoDiskPressure',
          'kubelet has no disk pressure',
        ),
        cond(
          'PIDPressure',
          'False',
          'KubeletHasSufficientPID',
          'kubelet has sufficient PID available',
        ),
        cond(
          'Ready',
          'True',
          'KubeletReady',
          'kubelet is posting ready status',
        ),
      ],
      addresses: [
        { type: 'InternalIP', address: '10.0.0.10' },
        { type: 'Hostname', address: nodeName },
      ],
      nodeInfo: {
        kubeletVersion: 'v1.32.0',
        kubeProxyVersion: 'v1.32.0',
        containerRuntimeVersion: 'containerd://1.7.24',
        osImage: 'Debian GNU/Linux 12 (bookworm)',
        kernelVersion: '6.1.0-sandbox',
        operatingSystem: 'linux',
        architecture: 'amd64',
      },
    },
  };
}
