/**
 * Upstream error bodies that echo a key (the vendor's `msg`, a Kubernetes Status `message`) are
 * quoted in errors only after the redactor.
 */
import { randomBytes } from 'node:crypto';
import { createKubernetesWriter } from '../actions/kubernetesWriter';
import { createVendorKeyClient } from '../actions/vendorKeys';
import { leakForms } from '../testing/actionsTestKit';
import { describeUpstreamError, upstreamExcerpt } from './errors';
import type { HttpClient } from './httpClient';

/** A key of the shape Vast.ai issues (64 hex digits). */
const KEY = randomBytes(32).toString('hex');
const ECHO = `key ${KEY} (as base64 ${Buffer.from(KEY).toString(
  'base64',
)}, in a URL ${encodeURIComponent(KEY)}) is still in use`;

/** An upstream that answers every call with this status and JSON body. */
const answering =
  (status: number, body: unknown): HttpClient =>
  async () => ({
    status,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    truncated: false,
  });

async function messageOf(call: () => Promise<unknown>): Promise<string> {
  try {
    await call();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected the call to fail');
}

function expectNoKey(text: string) {
  for (const form of leakForms(KEY)) expect(text).not.toContain(form);
}

describe('upstream error bodies pass the redactor', () => {
  it('upstreamExcerpt redacts before it cuts, and folds to one line', () => {
    const excerpt = upstreamExcerpt(`first line\n${ECHO}`, 60);
    expectNoKey(excerpt);
    expect(excerpt).toMatch(/^first line key \[REDACTED\]/);
    expect(excerpt.length).toBeLessThanOrEqual(60);
    // Cut first, a key's head would survive: redaction comes first.
    expect(upstreamExcerpt(`x ${KEY}`, 40)).toBe('x [REDACTED]');
  });

  it('a Vast.ai error message echoing a key is quoted without it', async () => {
    const vendor = (status: number) =>
      createVendorKeyClient({
        baseUrl: 'http://vast.invalid/api/v0',
        operatorApiKey: 'operator',
        http: answering(status, { error: 'in_use', msg: ECHO }),
        timeoutMs: 1000,
        maxBytes: 1 << 16,
      });
    for (const call of [
      () => vendor(500).deleteKey(7),
      () => vendor(400).createKey('rotated'),
      () => vendor(503).listKeys(),
      () => vendor(502).idOfKey('another-key'),
    ]) {
      const message = await messageOf(call);
      expect(message).toMatch(/answered HTTP 5\d\d|answered HTTP 400/);
      expectNoKey(message);
      expectNoKey(describeUpstreamError(new Error(message)));
    }
  });

  it('a Kubernetes Status message echoing an env value is quoted without it', async () => {
    const writer = createKubernetesWriter(
      { name: 'c', url: 'http://kube.invalid', skipTLSVerify: false },
      {
        http: answering(422, {
          kind: 'Status',
          status: 'Failure',
          reason: 'Invalid',
          message: `Deployment.apps "svc" is invalid: spec.template.spec.containers[0].env[0].value: Invalid value: "${KEY}": ${ECHO}`,
        }),
        timeoutMs: 1000,
        maxBytes: 1 << 16,
      },
    );
    const message = await messageOf(() =>
      writer.patchDeployment('ns', 'svc', {}, { dryRun: true }),
    );
    expect(message).toMatch(/422 Invalid: Deployment\.apps "svc" is invalid/);
    expectNoKey(message);
  });
});
