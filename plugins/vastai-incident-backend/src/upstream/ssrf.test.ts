import { startLocalServer } from '../testing/localServer';
import { nodeHttpClient } from './httpClient';
import { isForbiddenAddress, SsrfGuard } from './ssrf';

describe('SSRF guard', () => {
  it.each([
    '169.254.169.254',
    '169.254.0.1',
    '::ffff:169.254.169.254',
    'fe80::1',
    'fd00:ec2::254',
    '100.100.100.200',
    '0.0.0.0',
  ])('forbids %s', address => {
    expect(isForbiddenAddress(address)).toBe(true);
  });

  it.each(['127.0.0.1', '10.0.0.5', '192.168.1.1', '::1', '8.8.8.8'])(
    'allows %s',
    address => {
      expect(isForbiddenAddress(address)).toBe(false);
    },
  );

  it('refuses metadata URLs unless allow-listed', () => {
    const guard = new SsrfGuard();
    expect(() =>
      guard.checkUrl('http://169.254.169.254/latest/meta-data/'),
    ).toThrow(/link-local/);
    expect(() => guard.checkUrl('http://metadata.google.internal/')).toThrow(
      /link-local/,
    );
    expect(() => guard.checkUrl('http://[fe80::1]/')).toThrow(/link-local/);
    expect(() => guard.checkUrl('http://127.0.0.1:7103/health')).not.toThrow();
    const allowing = new SsrfGuard(['169.254.169.254']);
    expect(() =>
      allowing.checkUrl('http://169.254.169.254/health'),
    ).not.toThrow();
  });

  it('checks resolved addresses at connect time', async () => {
    const server = await startLocalServer((_req, res) => res.end('{}'));
    try {
      const guard = new SsrfGuard();
      // localhost resolves to loopback: allowed
      const url = `http://localhost:${server.port}/`;
      const response = await nodeHttpClient({
        url,
        timeoutMs: 1000,
        maxBytes: 100,
        lookup: guard.lookupFor(url),
      });
      expect(response.status).toBe(200);
    } finally {
      await server.close();
    }
  });
});
