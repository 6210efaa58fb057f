import { startLocalServer } from '../testing/localServer';
import { UpstreamError } from './errors';
import { nodeHttpClient } from './httpClient';
import { isForbiddenAddress, Resolver, SsrfGuard } from './ssrf';

describe('SSRF guard', () => {
  it.each([
    '169.254.169.254',
    '169.254.0.1',
    '::ffff:169.254.169.254',
    '[::ffff:169.254.169.254]',
    '::ffff:a9fe:a9fe',
    '[::ffff:a9fe:a9fe]',
    '0:0:0:0:0:ffff:a9fe:a9fe',
    'fe80::1',
    'FE80::abcd',
    'fd00:ec2::254',
    '100.100.100.200',
    '0.0.0.0',
  ])('forbids %s', address => {
    expect(isForbiddenAddress(address)).toBe(true);
  });

  it.each([
    '127.0.0.1',
    '10.0.0.5',
    '192.168.1.1',
    '::1',
    '8.8.8.8',
    '::ffff:7f00:1',
  ])('allows %s', address => {
    expect(isForbiddenAddress(address)).toBe(false);
  });

  it.each([
    'http://169.254.169.254/latest/meta-data/',
    'http://metadata.google.internal/',
    'http://[fe80::1]/',
    'http://[::ffff:169.254.169.254]/',
    'http://[::ffff:a9fe:a9fe]/',
    // Decimal, octal, hex and short IPv4 forms: the URL parser makes them 169.254.169.254.
    'http://2852039166/',
    'http://0251.0376.0251.0376/',
    'http://0xa9.0xfe.0xa9.0xfe/',
    'http://0xa9fea9fe/',
    'http://169.254.43518/',
  ])('refuses the URL %s unless allow-listed', url => {
    expect(() => new SsrfGuard().checkUrl(url)).toThrow(/link-local/);
  });

  it('lets an allow-listed host through and loopback always', () => {
    expect(() =>
      new SsrfGuard().checkUrl('http://127.0.0.1:7103/health'),
    ).not.toThrow();
    expect(() =>
      new SsrfGuard(['169.254.169.254']).checkUrl(
        'http://169.254.169.254/health',
      ),
    ).not.toThrow();
  });

  describe('at connect time, against a real listener', () => {
    /** A resolver that answers chosen names; the rest are unknown. */
    const resolverOf =
      (table: Record<string, string[]>): Resolver =>
      (hostname, callback) => {
        const addresses = table[hostname];
        if (!addresses) {
          const error: NodeJS.ErrnoException = new Error('not found');
          error.code = 'ENOTFOUND';
          callback(error, []);
          return;
        }
        callback(
          null,
          addresses.map(address => ({
            address,
            family: address.includes(':') ? 6 : 4,
          })),
        );
      };

    const guard = new SsrfGuard(
      [],
      resolverOf({
        'loopback.test': ['127.0.0.1'],
        'metadata-alias.test': ['169.254.169.254'],
        'mapped-alias.test': ['::ffff:a9fe:a9fe'],
        // A name with a harmless and a forbidden answer (what a rebinding attack serves).
        'rebinding.test': ['127.0.0.1', '169.254.169.254'],
      }),
    );

    async function call(host: string, port: number) {
      const url = `http://${host}:${port}/health`;
      return nodeHttpClient({
        url,
        timeoutMs: 2000,
        maxBytes: 1000,
        lookup: guard.lookupFor(url),
        peerAllowed: peer => guard.peerAllowed(url, peer),
      });
    }

    it('reaches a name that resolves to loopback (the listener works)', async () => {
      const server = await startLocalServer((_req, res) => res.end('{}'));
      try {
        const response = await call('loopback.test', server.port);
        expect(response.status).toBe(200);
        expect(server.requests).toHaveLength(1);
      } finally {
        await server.close();
      }
    });

    it.each(['metadata-alias.test', 'mapped-alias.test', 'rebinding.test'])(
      'refuses %s before any request reaches the listener',
      async host => {
        const server = await startLocalServer((_req, res) => res.end('{}'));
        try {
          const failure = await call(host, server.port).catch(e => e);
          expect(failure).toBeInstanceOf(UpstreamError);
          expect((failure as UpstreamError).kind).toBe('blocked');
          expect(server.requests).toHaveLength(0);
        } finally {
          await server.close();
        }
      },
    );

    it('refuses a connected peer whose address is forbidden', () => {
      expect(
        guard.peerAllowed('http://x.test/', '::ffff:169.254.169.254'),
      ).toBe(false);
      expect(guard.peerAllowed('http://x.test/', '127.0.0.1')).toBe(true);
      expect(
        new SsrfGuard(['x.test']).peerAllowed(
          'http://x.test/',
          '169.254.169.254',
        ),
      ).toBe(true);
    });
  });
});
