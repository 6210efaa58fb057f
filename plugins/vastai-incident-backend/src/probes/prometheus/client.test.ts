import { DEFAULT_TRIAGE_THRESHOLDS } from '../../triage';
import {
  LocalServer,
  sendJson,
  startLocalServer,
} from '../../testing/localServer';
import { nodeHttpClient } from '../../upstream';
import { createHttpPrometheusClient, sampleValue } from './client';
import { createMetricsProbe } from './metricsProbe';

const vector = (...values: string[]) => ({
  status: 'success',
  data: {
    resultType: 'vector',
    result: values.map(v => ({ metric: { job: 'x' }, value: [1700000000, v] })),
  },
});

describe('Prometheus client on malformed answers', () => {
  let answer: (res: any, query: URLSearchParams) => void;
  let server: LocalServer;
  beforeAll(async () => {
    server = await startLocalServer((req, res) =>
      answer(res, new URL(req.url!, 'http://x').searchParams),
    );
  });
  afterAll(() => server.close());
  const client = () =>
    createHttpPrometheusClient({
      baseUrl: server.url,
      http: nodeHttpClient,
      timeoutMs: 300,
      maxBytes: 20_000,
      retries: 0,
    });

  it.each([
    ['NaN', null],
    ['+Inf', null],
    ['-Inf', null],
    ['banana', null],
    ['0', 0],
    ['0.25', 0.25],
  ])('reads sample %s as %p', async (raw, expected) => {
    answer = res => sendJson(res, 200, vector(raw));
    expect(await client().instant('q')).toBe(expected);
    expect(sampleValue(raw)).toBe(expected);
  });

  it('reads an empty result as no data (null), never zero', async () => {
    answer = res => sendJson(res, 200, vector());
    expect(await client().instant('q')).toBeNull();
  });

  it.each([
    ['HTML', (res: any) => res.end('<html>proxy login</html>'), /HTML/],
    [
      'truncated JSON',
      (res: any) => res.end('{"status":"success","data":{"resultT'),
      /not valid JSON/,
    ],
    [
      'a huge body',
      (res: any) => res.end(JSON.stringify(vector(...Array(5000).fill('1')))),
      /too large/,
    ],
    [
      'a wrong result type',
      (res: any) =>
        sendJson(res, 200, {
          status: 'success',
          data: { resultType: 'matrix', result: [] },
        }),
      /matrix/,
    ],
    [
      'an error envelope',
      (res: any) =>
        sendJson(res, 422, {
          status: 'error',
          errorType: 'execution',
          error: 'boom',
        }),
      /execution: boom/,
    ],
    ['a hang', () => undefined, /300 ms/],
  ])('rejects %s with a reason', async (_what, respond, reason) => {
    answer = respond;
    await expect(client().instant('q')).rejects.toThrow(reason);
  });

  it('sends start, end, step and a timeout on range queries', async () => {
    let seen: URLSearchParams | undefined;
    answer = (res, query) => {
      seen = query;
      sendJson(res, 200, {
        status: 'success',
        data: {
          resultType: 'matrix',
          result: [
            {
              metric: { a: 'b' },
              values: [
                [100, '1'],
                [130, 'NaN'],
              ],
            },
          ],
        },
      });
    };
    const series = await client().range('up', {
      start: 100,
      end: 130,
      stepSeconds: 30,
    });
    expect(seen?.get('start')).toBe('100');
    expect(seen?.get('end')).toBe('130');
    expect(seen?.get('step')).toBe('30s');
    expect(seen?.get('timeout')).toMatch(/^\d+ms$/);
    expect(series).toEqual([
      {
        labels: { a: 'b' },
        points: [
          [100, 1],
          [130, null],
        ],
      },
    ]);
  });

  it('makes the metrics probe unknown when every query fails', async () => {
    answer = res => res.end('<html></html>');
    const signal = await createMetricsProbe({
      client: client(),
      job: 'x',
      rateWindow: '5m',
      thresholds: DEFAULT_TRIAGE_THRESHOLDS,
    })();
    expect(signal.state).toBe('unknown');
    expect(signal.reason).toMatch(/HTML/);
  });
});
