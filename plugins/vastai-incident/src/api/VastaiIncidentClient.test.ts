import { ResponseError } from '@backstage/errors';
import { fakeResponse } from '../testing/responses';
import { testBackendOptions } from '../testing/apis';
import { VastaiIncidentClient } from './VastaiIncidentClient';

const entity = {
  kind: 'Component',
  namespace: 'Default',
  name: 'vastai-integration',
};

function setup(respond: (url: string) => Response | Promise<Response>) {
  const fetch = jest.fn(async (input: RequestInfo | URL) =>
    respond(String(input)),
  );
  const client = new VastaiIncidentClient(testBackendOptions(fetch));
  return { client, fetch };
}

describe('VastaiIncidentClient', () => {
  it('reads the triage of an entity from the contract route', async () => {
    const { client, fetch } = setup(() =>
      fakeResponse(200, { severity: 'P2' }),
    );
    await expect(client.getTriage(entity)).resolves.toEqual({ severity: 'P2' });
    expect(fetch).toHaveBeenCalledWith(
      'http://backend/api/vastai-incident/v1/entities/default/component/vastai-integration/triage',
    );
  });

  it('builds the metrics, pods and logs routes', async () => {
    const { client, fetch } = setup(() => fakeResponse(200, {}));
    await client.getMetricRange(entity, 'error-ratio', '6h');
    await client.getPods(entity);
    await client.getLogs(entity, { sinceMinutes: 15 });
    await client.getLogs(entity);
    const base =
      'http://backend/api/vastai-incident/v1/entities/default/component/vastai-integration';
    expect(fetch.mock.calls.map(c => c[0])).toEqual([
      `${base}/metrics/error-ratio?range=6h`,
      `${base}/pods`,
      `${base}/logs?sinceMinutes=15`,
      `${base}/logs`,
    ]);
  });

  it('encodes odd entity names', async () => {
    const { client, fetch } = setup(() => fakeResponse(200, {}));
    await client.getTriage({
      kind: 'Component',
      namespace: 'default',
      name: 'a b/c',
    });
    expect(fetch.mock.calls[0][0]).toContain('/component/a%20b%2Fc/triage');
  });

  it('throws a ResponseError with the status and the server message', async () => {
    const { client } = setup(() =>
      fakeResponse(404, {
        error: { name: 'NotFoundError', message: 'not configured' },
        request: { method: 'GET', url: '/x' },
        response: { statusCode: 404 },
      }),
    );
    const error = await client.getTriage(entity).catch(e => e);
    expect(ResponseError.is(error)).toBe(true);
    expect(error.statusCode).toBe(404);
    expect(error.cause.message).toBe('not configured');
  });

  it('shares one request between simultaneous callers, then asks again', async () => {
    let release!: () => void;
    const gate = new Promise<void>(r => {
      release = r;
    });
    const { client, fetch } = setup(async () => {
      await gate;
      return fakeResponse(200, { severity: null });
    });
    const calls = [
      client.getTriage(entity),
      client.getTriage(entity),
      client.getTriage(entity),
    ];
    release();
    await Promise.all(calls);
    expect(fetch).toHaveBeenCalledTimes(1);
    await client.getTriage(entity);
    expect(fetch).toHaveBeenCalledTimes(2);
  });
});
