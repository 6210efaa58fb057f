/** Every call the simulated Vast.ai API received, counted by identity, endpoint and status. */
export interface VastCallCount {
  identity: string;
  method: string;
  endpoint: string;
  status: number;
  count: number;
}

export interface VastCallStats {
  total: number;
  /** identity -> number of calls. */
  byIdentity: Record<string, number>;
  /** identity -> endpoint ("GET /api/v0/users/current/") -> number of calls. */
  byIdentityAndEndpoint: Record<string, Record<string, number>>;
  calls: VastCallCount[];
}

export class VastCallLog {
  private counts = new Map<string, VastCallCount>();

  record(identity: string, method: string, endpoint: string, status: number) {
    const key = [identity, method, endpoint, status].join('\u0000');
    const entry = this.counts.get(key);
    if (entry) entry.count++;
    else this.counts.set(key, { identity, method, endpoint, status, count: 1 });
  }

  stats(): VastCallStats {
    const calls = [...this.counts.values()].map(c => ({ ...c }));
    const byIdentity: Record<string, number> = {};
    const byIdentityAndEndpoint: Record<string, Record<string, number>> = {};
    let total = 0;
    for (const c of calls) {
      total += c.count;
      byIdentity[c.identity] = (byIdentity[c.identity] ?? 0) + c.count;
      const endpoints = (byIdentityAndEndpoint[c.identity] ??= {});
      const label = `${c.method} ${c.endpoint}`;
      endpoints[label] = (endpoints[label] ?? 0) + c.count;
    }
    return { total, byIdentity, byIdentityAndEndpoint, calls };
  }

  clear() {
    this.counts.clear();
  }
}
