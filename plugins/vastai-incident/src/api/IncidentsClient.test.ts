import { ResponseError } from '@backstage/errors';
import { testBackendOptions } from '../testing/apis';
import { fakeResponse } from '../testing/responses';
import { IncidentsClient } from './IncidentsClient';

function setup(respond: () => Response = () => fakeResponse(200, {})) {
  const fetch = jest.fn(
    async (_input: RequestInfo | URL, _init?: RequestInit) => respond(),
  );
  const client = new IncidentsClient(testBackendOptions(fetch));
  const calls = () =>
    fetch.mock.calls.map(([url, init]) => ({
      url: String(url),
      method: init?.method ?? 'GET',
      body: init?.body ? JSON.parse(String(init.body)) : undefined,
      contentType: (init?.headers as Record<string, string> | undefined)?.[
        'Content-Type'
      ],
      idempotencyKey: (init?.headers as Record<string, string> | undefined)?.[
        'Idempotency-Key'
      ],
    }));
  return { client, fetch, calls };
}

const BASE = 'http://backend/api/vastai-incident/v1/incidents';
const ID = '0b3f0c1e-8a55-4d0c-9a34-0d6c9e1f2a3b';

describe('IncidentsClient', () => {
  it('lists with filters and unwraps the items', async () => {
    const { client, calls } = setup(() =>
      fakeResponse(200, { items: [{ id: ID }] }),
    );
    await expect(
      client.list({
        entityRef: 'component:default/a b',
        status: 'resolved',
        open: false,
      }),
    ).resolves.toEqual([{ id: ID }]);
    await client.list();
    expect(calls().map(c => c.url)).toEqual([
      `${BASE}?status=resolved&entityRef=component%3Adefault%2Fa+b&open=false`,
      BASE,
    ]);
  });

  it('sends JSON bodies with the right methods and paths', async () => {
    const { client, calls } = setup(() => fakeResponse(200, { items: [] }));
    await client.declare({
      entityRef: 'component:default/x',
      title: 't',
      impact: 'i',
      severity: 'P2',
    });
    await client.update(ID, { status: 'identified' });
    await client.addNote(ID, 'hello');
    await client.sendMessage(ID, 'statuspage', 'text', 'send-key-1');
    await client.savePostmortem(ID, '# PM');
    expect(calls()).toEqual([
      {
        url: BASE,
        method: 'POST',
        body: {
          entityRef: 'component:default/x',
          title: 't',
          impact: 'i',
          severity: 'P2',
        },
        contentType: 'application/json',
      },
      {
        url: `${BASE}/${ID}`,
        method: 'PATCH',
        body: { status: 'identified' },
        contentType: 'application/json',
      },
      {
        url: `${BASE}/${ID}/notes`,
        method: 'POST',
        body: { text: 'hello' },
        contentType: 'application/json',
      },
      {
        url: `${BASE}/${ID}/comms`,
        method: 'POST',
        body: { channel: 'statuspage', text: 'text' },
        contentType: 'application/json',
        idempotencyKey: 'send-key-1',
      },
      {
        url: `${BASE}/${ID}/postmortem`,
        method: 'PUT',
        body: { markdown: '# PM' },
        contentType: 'application/json',
      },
    ]);
  });

  it('builds the read, preview, retry and evidence routes', async () => {
    const { client, calls } = setup();
    await client.get(ID);
    await client.previewMessage(ID, 'slack');
    await client.retryMessage(ID, 'm1');
    await client.startEvidence(ID);
    await client.getEvidence(ID, 'b1');
    await client.getPostmortem(ID);
    expect(calls().map(c => `${c.method} ${c.url.replace(BASE, '')}`)).toEqual([
      `GET /${ID}`,
      `GET /${ID}/comms/preview?channel=slack`,
      `POST /${ID}/comms/m1/retry`,
      `POST /${ID}/evidence`,
      `GET /${ID}/evidence/b1`,
      `GET /${ID}/postmortem`,
    ]);
    // A POST without a body sends none (the backend refuses unexpected bodies).
    expect(calls()[2].body).toBeUndefined();
  });

  it('downloads with the server-given file name, or a fallback', async () => {
    const named = setup(() =>
      fakeResponse(200, '# PM', {
        'content-type': 'text/markdown',
        'content-disposition': 'attachment; filename="postmortem-x.md"',
      }),
    );
    const file = await named.client.downloadPostmortem(ID);
    expect(file.fileName).toBe('postmortem-x.md');
    expect(file.blob.size).toBe(4);
    expect(named.calls()[0].url).toBe(`${BASE}/${ID}/postmortem/download`);

    const unnamed = setup(() =>
      fakeResponse(200, 'tgz', { 'content-type': 'application/gzip' }),
    );
    const bundle = await unnamed.client.downloadEvidence(ID, 'b1');
    expect(bundle.fileName).toBe(`incident-${ID}-evidence.tar.gz`);
    expect(unnamed.calls()[0].url).toBe(`${BASE}/${ID}/evidence/b1/download`);
  });

  it('throws a ResponseError carrying the status and the server message', async () => {
    const { client } = setup(() =>
      fakeResponse(409, {
        error: {
          name: 'ConflictError',
          message: 'already has an open incident',
        },
        request: { method: 'POST', url: '/v1/incidents' },
        response: { statusCode: 409 },
      }),
    );
    const error = await client
      .declare({ entityRef: 'component:default/x', title: 't', impact: 'i' })
      .catch(e => e);
    expect(ResponseError.is(error)).toBe(true);
    expect(error.statusCode).toBe(409);
    expect(error.cause.message).toBe('already has an open incident');
  });
});
