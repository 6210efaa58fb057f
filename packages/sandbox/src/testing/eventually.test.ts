import { eventually } from './eventually';

describe('eventually', () => {
  it('returns the first truthy value, retrying probes that throw', async () => {
    let calls = 0;
    const value = await eventually(() => {
      calls += 1;
      if (calls === 1) throw new Error('not up yet');
      return calls >= 3 ? `call ${calls}` : '';
    });
    expect(value).toBe('call 3');
  });

  it('returns the value `accept` takes, falsy ones included', async () => {
    let n = 3;
    await expect(
      eventually(() => (n -= 1), { accept: v => v === 0, intervalMs: 1 }),
    ).resolves.toBe(0);
  });

  it('names what it waited for, the last value and the last error on timeout', async () => {
    await expect(
      eventually(() => ({ ready: false }), {
        what: 'the thing',
        accept: v => v.ready,
        timeoutMs: 30,
        intervalMs: 5,
      }),
    ).rejects.toThrow(
      'timed out after 30 ms waiting for the thing; last value: {"ready":false}',
    );
    await expect(
      eventually(() => {
        throw new Error('refused');
      }, 20),
    ).rejects.toThrow(/last error: Error: refused/);
  });
});
