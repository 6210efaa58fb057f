import { ResponseError } from '@backstage/errors';
import { testBackendOptions } from '../testing/apis';
import { fakeResponse } from '../testing/responses';
import { RemediationClient } from './RemediationClient';

const entity = {
  kind: 'Component',
  namespace: 'Default',
  name: 'vastai-integration',
};
const BASE =
  'http://backend/api/vastai-incident/v1/entities/default/component/vastai-integration/actions';

function setup(respond: () => Response) {
  const fetch = jest.fn(
    async (_input: RequestInfo | URL, _init?: RequestInit) => respond(),
  );
  const client = new RemediationClient(testBackendOptions(fetch));
  return { client, fetch };
}

describe('RemediationClient', () => {
  it('posts a dry run to the contract route without an Idempotency-Key', async () => {
    const { client, fetch } = setup(() =>
      fakeResponse(200, { runId: 'r', status: 'dry-run' }),
    );
    const run = await client.dryRun(entity, 'queue-mode');
    expect(run.status).toBe('dry-run');
    const [url, init] = fetch.mock.calls[0];
    expect(url).toBe(`${BASE}/queue-mode`);
    expect(init?.method).toBe('POST');
    expect(JSON.parse(String(init?.body))).toEqual({ dryRun: true });
    expect(
      (init?.headers as Record<string, string>)['Idempotency-Key'],
    ).toBeUndefined();
  });

  it('applies with the given Idempotency-Key and a pasted key only when given', async () => {
    const { client, fetch } = setup(() =>
      fakeResponse(202, { runId: 'r', status: 'running' }),
    );
    await client.apply(entity, 'rotate-api-key', {
      idempotencyKey: 'k-1',
      newApiKey: 'abcdefghij',
    });
    await client.apply(entity, 'queue-mode', { idempotencyKey: 'k-2' });
    const [first, second] = fetch.mock.calls.map(c => c[1]!);
    expect((first.headers as Record<string, string>)['Idempotency-Key']).toBe(
      'k-1',
    );
    expect(JSON.parse(String(first.body))).toEqual({
      dryRun: false,
      newApiKey: 'abcdefghij',
    });
    expect(JSON.parse(String(second.body))).toEqual({ dryRun: false });
  });

  it('answers a 409 that carries a run as that run', async () => {
    const { client } = setup(() =>
      fakeResponse(409, {
        runId: 'r',
        status: 'rejected',
        code: 'cooldown',
        reason: 'wait 30 s',
      }),
    );
    const run = await client.apply(entity, 'queue-mode', {
      idempotencyKey: 'k',
    });
    expect(run).toMatchObject({ status: 'rejected', code: 'cooldown' });
  });

  it.each([403, 409, 500])(
    'throws a ResponseError for a %s without a run',
    async status => {
      const { client } = setup(() =>
        fakeResponse(status, {
          error: { name: 'NotAllowedError', message: 'nope' },
          response: { statusCode: status },
        }),
      );
      const error = await client
        .apply(entity, 'queue-mode', { idempotencyKey: 'k' })
        .catch(e => e);
      expect(ResponseError.is(error)).toBe(true);
      expect((error as ResponseError).statusCode).toBe(status);
      expect((error as ResponseError).body.error.message).toBe('nope');
    },
  );

  it('reads runs and the history', async () => {
    const { client, fetch } = setup(() => fakeResponse(200, { entries: [] }));
    await client.getRun(entity, 'abc');
    await client.getHistory(entity, { limit: 5 });
    await client.approve(entity, 'abc');
    expect(fetch.mock.calls.map(c => c[0])).toEqual([
      `${BASE}/runs/abc`,
      `${BASE}/history?limit=5`,
      `${BASE}/runs/abc/approve`,
    ]);
  });
});
