/** Default ports (README): a base port and fixed offsets. */
export const DEFAULT_BASE_PORT = 7100;
export const PORT_OFFSETS = {
  control: 0,
  vastApi: 1,
  statusPage: 2,
  integration: 3,
  batchWorker: 4,
  kubernetes: 5,
  receivers: 6,
  kubernetesTls: 7,
  prometheus: 90,
} as const;

export type PortName = keyof typeof PORT_OFFSETS;
export type SandboxPorts = Record<PortName, number>;

export function portsFromBase(base: number): SandboxPorts {
  return Object.fromEntries(
    Object.entries(PORT_OFFSETS).map(([k, off]) => [k, base + off]),
  ) as SandboxPorts;
}

/** Every port ephemeral: what tests use so they can run beside anything. */
export const EPHEMERAL_PORTS: SandboxPorts = Object.fromEntries(
  Object.keys(PORT_OFFSETS).map(k => [k, 0]),
) as SandboxPorts;

export const DEFAULT_OPERATOR_KEY = 'sandbox-operator-key';
