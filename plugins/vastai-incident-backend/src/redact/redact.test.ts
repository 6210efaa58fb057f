import { createRedactor, REDACTED, redactText } from './redact';

describe('redaction', () => {
  const key = 'sandbox-operator-key';
  const redact = createRedactor([key]);

  it.each([
    `calling with ${key}`,
    `b64 ${Buffer.from(key).toString('base64')}`,
    `url ${encodeURIComponent(`a b${key}`)}`,
  ])('removes a known key in any form: %s', line => {
    expect(redact(line)).not.toContain(key);
    expect(redact(line)).not.toContain(Buffer.from(key).toString('base64'));
  });

  it.each([
    ['Authorization: Bearer abcdef123456', 'abcdef123456'],
    ['GET /api/v0/bundles/?api_key=deadbeefcafe HTTP/1.1', 'deadbeefcafe'],
    ['{"api_key": "s3cr3t-value"}', 's3cr3t-value'],
    ['password=hunter22 user=bob', 'hunter22'],
    [
      'token: ghp_abcdefABCDEF0123456789abcdefABCDEF012345',
      'ghp_abcdefABCDEF0123456789abcdefABCDEF012345',
    ],
    [
      'key 0123456789abcdef0123456789abcdef01234567',
      '0123456789abcdef0123456789abcdef01234567',
    ],
  ])('removes secret-looking values: %s', (line, secret) => {
    const out = redactText(line);
    expect(out).not.toContain(secret);
    expect(out).toContain(REDACTED);
  });

  it.each([
    'ERROR vastai call failed: 503 Service Unavailable (endpoint=bundles)',
    'GET /api/vastai-incident/v1/entities/default/component/vastai-integration/metrics/error-ratio?range=1h',
    'PATCH /apis/apps/v1/namespaces/vastai/deployments/vastai-integration?dryRun=All',
    'pod vastai-integration-canary-7d9f8b6c5-x2k4p restarted',
  ])('keeps ordinary text and URL paths: %s', line => {
    expect(redactText(line)).toBe(line);
  });

  it('removes base64 that holds slashes, and base64url', () => {
    const bytes = Buffer.from(
      'fb3f0e9a1c7d55b2ffe0c4a9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9',
      'hex',
    );
    for (const encoded of [
      bytes.toString('base64'),
      bytes.toString('base64url'),
    ]) {
      expect(encoded.length).toBeGreaterThanOrEqual(40);
      expect(redactText(`secret blob ${encoded} end`)).toBe(
        `secret blob ${REDACTED} end`,
      );
    }
  });

  it.each([
    ['one long word', 'a'.repeat(1_000_000)],
    ['secret names without a value', 'token'.repeat(200_000)],
    ['base64-like runs', 'abc+'.repeat(250_000)],
    ['kebab runs', 'ab-'.repeat(300_000)],
  ])('stays linear on hostile text (%s)', (_what, text) => {
    const started = Date.now();
    redactText(text);
    expect(Date.now() - started).toBeLessThan(2000);
  });
});
