import { randomBytes } from 'node:crypto';

/** One API key of the simulated Vast.ai account. The value never leaves this module except where
 *  the real API returns it (key creation, and `users/current` which really carries `api_key`). */
export interface VastApiKey {
  id: number;
  name: string;
  /** Who uses the key; the identity that rate limits and call counts are kept by. */
  identity: string;
  key: string;
  permissions: unknown;
  createdAt: number;
  deletedAt?: number;
}

export const OPERATOR_IDENTITY = 'operator';

function newKeyValue(): string {
  return randomBytes(32).toString('hex');
}

export interface SeedKeys {
  operatorKey: string;
  /** Service name -> key value. */
  serviceKeys: Record<string, string>;
}

/** The account behind the simulated API: its keys (created, listed, soft-deleted) and user record. */
export class VastAccount {
  private keys = new Map<number, VastApiKey>();
  private nextId = 1;
  readonly seed: SeedKeys;

  constructor(operatorKey: string, services: string[]) {
    this.seed = {
      operatorKey,
      serviceKeys: Object.fromEntries(
        services.map(name => [name, newKeyValue()]),
      ),
    };
    this.reset();
  }

  /** Back to the base state: the operator key and each service's original key, all valid. */
  reset() {
    this.keys.clear();
    this.nextId = 1;
    this.add({
      name: 'sandbox-operator',
      identity: OPERATOR_IDENTITY,
      key: this.seed.operatorKey,
      permissions: { all: true },
    });
    for (const [service, key] of Object.entries(this.seed.serviceKeys)) {
      this.add({
        name: service,
        identity: service,
        key,
        permissions: { read: true },
      });
    }
  }

  private add(k: Omit<VastApiKey, 'id' | 'createdAt'>): VastApiKey {
    const created: VastApiKey = {
      ...k,
      id: this.nextId++,
      createdAt: Date.now(),
    };
    this.keys.set(created.id, created);
    return created;
  }

  create(name: string, permissions: unknown): VastApiKey {
    const id = this.nextId;
    return this.add({
      name,
      identity: `apikey-${id}`,
      key: newKeyValue(),
      permissions,
    });
  }

  /** The live key with this value, if any. */
  authenticate(value: string | undefined): VastApiKey | undefined {
    if (!value) return undefined;
    for (const k of this.keys.values()) {
      if (!k.deletedAt && k.key === value) return k;
    }
    return undefined;
  }

  list(): VastApiKey[] {
    return [...this.keys.values()].filter(k => !k.deletedAt);
  }

  get(id: number): VastApiKey | undefined {
    return this.keys.get(id);
  }

  /** Soft delete (as the real API does); returns false when there is no live key with that id. */
  revoke(id: number): boolean {
    const k = this.keys.get(id);
    if (!k || k.deletedAt) return false;
    k.deletedAt = Date.now();
    return true;
  }

  /** Revoke the original key of a service (the `auth-failure` scenario). */
  revokeServiceKey(service: string): void {
    for (const k of this.keys.values()) {
      if (k.identity === service && k.key === this.seed.serviceKeys[service])
        k.deletedAt = Date.now();
    }
  }
}
