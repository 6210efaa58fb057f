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

/** Link-local and cloud metadata addresses (IPv4 and IPv6), the SSRF targets of S9. */
export function isForbiddenAddress(address: string): boolean {
  let ip = address.toLowerCase();
  if (ip.startsWith('[') && ip.endsWith(']')) ip = ip.slice(1, -1);
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(ip);
  if (mapped) ip = mapped[1];
  if (net.isIPv4(ip)) {
    const [a, b] = ip.split('.').map(Number);
    if (a === 169 && b === 254) return true; // link-local, AWS/GCP/Azure metadata
    if (ip === '100.100.100.200') return true; // Alibaba metadata
    if (a === 0) return true; // "this network", reaches local services on some stacks
    return false;
  }
  if (net.isIPv6(ip)) {
    if (/^fe[89ab]/.test(ip)) return true; // fe80::/10 link-local
    if (ip === 'fd00:ec2::254') return true; // AWS metadata over IPv6
    return false;
  }
  return false;
}

/**
 * An SSRF guard for configured health URLs: refuses link-local and metadata targets unless the
 * integrator allow-listed the host. Checked at connect time through `lookup`, so a name that
 * re-resolves to a forbidden address later (DNS rebinding) is refused too.
 */
export class SsrfGuard {
  private readonly allowedHosts: Set<string>;

  constructor(allowedHosts: string[] = []) {
    this.allowedHosts = new Set(allowedHosts.map(h => h.toLowerCase()));
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

  /** A `lookup` for http.request that refuses forbidden resolved addresses. */
  lookupFor(rawUrl: string): LookupFunction {
    const host = new URL(rawUrl).hostname;
    const allowAll = this.allowed(host);
    return ((hostname: string, options: dns.LookupOptions, callback: any) => {
      dns.lookup(hostname, { ...options, all: true }, (error, addresses) => {
        if (error) {
          callback(error);
          return;
        }
        const list = addresses as dns.LookupAddress[];
        const forbidden =
          !allowAll && list.some(a => isForbiddenAddress(a.address));
        if (forbidden) {
          const blocked: NodeJS.ErrnoException = new Error(
            `refused: ${hostname} resolves to a link-local or metadata address`,
          );
          blocked.code = 'ESSRFBLOCKED';
          callback(blocked);
          return;
        }
        if ((options as { all?: boolean }).all) {
          callback(null, list);
        } else {
          callback(null, list[0].address, list[0].family);
        }
      });
    }) as LookupFunction;
  }
}
