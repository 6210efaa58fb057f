import type { Signal } from '@vastai-incident/backstage-plugin-common';
import { createMemoryCache } from '../testing/memoryCache';
import { SharedReads } from './sharedReads';

const signal = (
  state: Signal['state'],
  observedAt: number,
  summary: string = state,
): Signal<number> => ({
  source: 'metrics',
  state,
  summary,
  value: 1,
  observedAt: new Date(observedAt).toISOString(),
  latencyMs: 1,
  ...(state === 'unknown' ? { reason: 'Prometheus answered HTML' } : {}),
});

describe('SharedReads', () => {
  it('coalesces identical concurrent reads into one upstream call', async () => {
    const reads = new SharedReads({
      cache: createMemoryCache(),
      staleMaxAgeMs: 60_000,
    });
    let calls = 0;
    const probe = async () => {
      calls++;
      await new Promise(r => setTimeout(r, 50));
      return signal('ok', Date.now());
    };
    const results = await Promise.all(
      Array.from({ length: 25 }, () => reads.signal('k', 5000, probe)),
    );
    expect(calls).toBe(1);
    expect(results.every(r => r.state === 'ok')).toBe(true);
    // Within the TTL the cache answers; different keys do not share.
    await reads.signal('k', 5000, probe);
    expect(calls).toBe(1);
    await reads.signal('other', 5000, probe);
    expect(calls).toBe(2);
  });

  it('reads again after the TTL', async () => {
    let now = 1_000_000;
    const reads = new SharedReads({
      cache: createMemoryCache(() => now),
      staleMaxAgeMs: 60_000,
      now: () => now,
    });
    let calls = 0;
    const probe = async () => {
      calls++;
      return signal('ok', now);
    };
    await reads.signal('k', 1000, probe);
    now += 1500;
    await reads.signal('k', 1000, probe);
    expect(calls).toBe(2);
  });

  it('serves the last known good value, marked stale with its age, when the upstream fails', async () => {
    let now = 1_000_000;
    const reads = new SharedReads({
      cache: createMemoryCache(() => now),
      staleMaxAgeMs: 60_000,
      now: () => now,
    });
    let next: Signal<number> = signal('failing', now, 'errors 50%');
    const probe = async () => next;
    expect((await reads.signal('k', 1000, probe)).state).toBe('failing');
    now += 30_000;
    next = signal('unknown', now);
    const stale = await reads.signal('k', 1000, probe);
    expect(stale).toMatchObject({
      state: 'failing',
      stale: true,
      ageSeconds: 30,
    });
    expect(stale.reason).toMatch(
      /Prometheus answered HTML; showing the last known value from 30s ago/,
    );
    // Too old: the unknown is served as is.
    now += 60_000;
    const tooOld = await reads.signal('k', 1000, probe);
    expect(tooOld.state).toBe('unknown');
    expect(tooOld.stale).toBeUndefined();
  });

  it('serves stale values of plain reads when loading throws, and throws without one', async () => {
    let now = 1_000_000;
    const reads = new SharedReads({
      cache: createMemoryCache(() => now),
      staleMaxAgeMs: 60_000,
      now: () => now,
    });
    await expect(
      reads.read('r', 1000, async () => {
        throw new Error('down');
      }),
    ).rejects.toThrow('down');
    expect(await reads.read('r', 1000, async () => [1, 2])).toEqual({
      value: [1, 2],
    });
    now += 5000;
    const stale = await reads.read('r', 1000, async () => {
      throw new Error('down');
    });
    expect(stale).toMatchObject({ value: [1, 2], stale: true, ageSeconds: 5 });
  });

  it('keeps working when the cache store fails', async () => {
    const broken = createMemoryCache();
    broken.get = async () => {
      throw new Error('redis down');
    };
    broken.set = async () => {
      throw new Error('redis down');
    };
    const reads = new SharedReads({ cache: broken, staleMaxAgeMs: 60_000 });
    expect(
      (await reads.signal('k', 1000, async () => signal('ok', Date.now())))
        .state,
    ).toBe('ok');
  });
});
