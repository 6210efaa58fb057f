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

  it('keeps ordinary log text', () => {
    const line =
      'ERROR vastai call failed: 503 Service Unavailable (endpoint=bundles)';
    expect(redactText(line)).toBe(line);
  });
});
