import dns from 'node:dns';
import net from 'node:net';
import type { LookupFunction } from 'node:net';
import { UpstreamError } from './errors';

/** Host names of cloud metadata services, refused whatever they resolve to. */
const METADATA_HOST_NAMES = new Set([
  'metadata',
  'metadata.google.internal',
  'metadata.goog',
  'instance-data',
  'instance-data.ec2.internal',
]);

/**
 * Link-local and cloud metadata ranges. Node's BlockList also matches an IPv4 rule against the
 * IPv4-mapped IPv6 forms of the address (`::ffff:169.254.169.254` and `::ffff:a9fe:a9fe`).
 */
const FORBIDDEN = new net.BlockList();
FORBIDDEN.addSubnet('169.254.0.0', 16, 'ipv4'); // link-local, AWS/GCP/Azure metadata
FORBIDDEN.addAddress('100.100.100.200', 'ipv4'); // Alibaba metadata
FORBIDDEN.addSubnet('0.0.0.0', 8, 'ipv4'); // "this network": reaches local services on some stacks
FORBIDDEN.addSubnet('fe80::', 10, 'ipv6'); // IPv6 link-local
FORBIDDEN.addAddress('fd00:ec2::254', 'ipv6'); // AWS metadata over IPv6

/** True for a link-local or cloud metadata address, in any IPv4 or IPv6 (mapped) notation. */
export function isForbiddenAddress(address: string): boolean {
  let ip = address.toLowerCase();
  if (ip.startsWith('[') && ip.endsWith(']')) ip = ip.slice(1, -1);
  const family = net.isIP(ip);
  if (family === 4) return FORBIDDEN.check(ip, 'ipv4');
  if (family === 6) return FORBIDDEN.check(ip, 'ipv6');
  return false;
}

/** How names are resolved; `dns.lookup` unless a test resolves them itself. */
export type Resolver = (
  hostname: string,
  callback: (error: Error | null, addresses: dns.LookupAddress[]) => void,
) => void;

const systemResolver: Resolver = (hostname, callback) =>
  dns.lookup(hostname, { all: true }, (error, addresses) =>
    callback(error, addresses ?? []),
  );

function blockedError(message: string): NodeJS.ErrnoException {
  const blocked: NodeJS.ErrnoException = new Error(message);
  blocked.code = 'ESSRFBLOCKED';
  return blocked;
}

/**
 * An SSRF guard for configured health URLs: refuses link-local and metadata targets unless the
 * integrator allow-listed the host. The URL parser first turns decimal, octal and hex IPv4 forms
 * into dotted quads; names are checked at connect time through `lookup` (every address a name
 * resolves to, so a name that re-resolves to a forbidden address later is refused too), and the
 * socket's peer address is checked once connected, which covers literal addresses that never go
 * through a lookup.
 */
export class SsrfGuard {
  private readonly allowedHosts: Set<string>;
  private readonly resolve: Resolver;

  constructor(allowedHosts: string[] = [], resolve: Resolver = systemResolver) {
    this.allowedHosts = new Set(allowedHosts.map(h => h.toLowerCase()));
    this.resolve = resolve;
  }

  private allowed(host: string): boolean {
    return this.allowedHosts.has(host.toLowerCase());
  }

  /** Throws an UpstreamError('blocked') for a URL whose literal host is forbidden. */
  checkUrl(rawUrl: string): void {
    const url = new URL(rawUrl);
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (this.allowed(host)) return;
    if (
      METADATA_HOST_NAMES.has(host.toLowerCase()) ||
      isForbiddenAddress(host)
    ) {
      throw new UpstreamError(
        'blocked',
        `refused: ${host} is a link-local or metadata address (allow-list it in vastaiIncident.ssrf.allowedHosts)`,
      );
    }
  }

  /** A `lookup` for http.request that refuses names resolving to any forbidden address. */
  lookupFor(rawUrl: string): LookupFunction {
    const allowAll = this.allowed(new URL(rawUrl).hostname);
    return ((hostname: string, options: dns.LookupOptions, callback: any) => {
      this.resolve(hostname, (error, list) => {
        if (error) {
          callback(error);
          return;
        }
        const usable = list.filter(
          a => !options.family || a.family === options.family,
        );
        if (!allowAll && list.some(a => isForbiddenAddress(a.address))) {
          callback(
            blockedError(
              `refused: ${hostname} resolves to a link-local or metadata address`,
            ),
          );
          return;
        }
        if (usable.length === 0) {
          const none: NodeJS.ErrnoException = new Error(
            `${hostname} has no address`,
          );
          none.code = 'ENOTFOUND';
          callback(none);
          return;
        }
        if (options.all) callback(null, usable);
        else callback(null, usable[0].address, usable[0].family);
      });
    }) as LookupFunction;
  }

  /** Whether a connected peer may be talked to (the last check, after any lookup). */
  peerAllowed(rawUrl: string, remoteAddress: string | undefined): boolean {
    if (this.allowed(new URL(rawUrl).hostname.replace(/^\[|\]$/g, '')))
      return true;
    return !remoteAddress || !isForbiddenAddress(remoteAddress);
  }
}
