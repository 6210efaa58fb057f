import { InputError } from '@backstage/errors';
import { z } from 'zod';
import { REDACTED } from '../redact';
import { parseInput } from './validation';
import { scrubError } from './scrubErrors';

/** A pasted value that does not look like a secret: only the wording can keep it out. */
const PASTED = 'pasted-by-mistake-7f3a';

function messageOf(schema: z.ZodTypeAny, input: unknown, what = 'body') {
  try {
    parseInput(schema, input, what);
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    return (error as Error).message;
  }
  throw new Error('expected a refusal');
}

describe('parseInput', () => {
  const schema = z
    .object({
      channel: z.enum(['slack', 'statuspage']),
      dryRun: z.boolean().optional(),
      newApiKey: z.string().min(8, 'newApiKey is too short').optional(),
    })
    .strict();

  it.each([
    [
      { channel: PASTED },
      'Invalid body: channel: must be one of slack, statuspage',
    ],
    [
      { channel: 'slack', dryRun: PASTED },
      'Invalid body: dryRun: Expected boolean, received string',
    ],
    [
      { channel: 'slack', newApiKey: 'short' },
      'Invalid body: newApiKey is too short',
    ],
    [
      { channel: 'slack', extra: PASTED },
      'Invalid body: body: unexpected field(s) "extra"',
    ],
  ])('names the field, never quotes the value: %j', (input, message) => {
    expect(messageOf(schema, input)).toBe(message);
  });

  it('quotes an unknown field name only cut short and redacted', () => {
    const key = 'a1b2c3d4'.repeat(8);
    const message = messageOf(schema, { channel: 'slack', [key]: 1 });
    expect(message).not.toContain(key.slice(0, 32));
    expect(message).toContain(REDACTED);
    const long = `field-${'x'.repeat(100)}`;
    expect(messageOf(schema, { channel: 'slack', [long]: 1 })).toContain(
      `"${long.slice(0, 40)}"`,
    );
  });
});

describe('scrubError', () => {
  it('keeps the class and status, redacts every text, drops bodies and headers', () => {
    const secret = 'known-secret-value';
    const error = Object.assign(
      new InputError(`bad ${secret}`, new Error(`cause ${secret}`)),
      { status: 400, body: { echoed: secret }, reason: `r ${secret}` },
    );
    const scrubbed = scrubError(error, text =>
      text.split(secret).join(REDACTED),
    ) as InputError & Record<string, unknown>;
    expect(scrubbed).toBeInstanceOf(InputError);
    expect(scrubbed.name).toBe('InputError');
    expect(scrubbed.status).toBe(400);
    expect(scrubbed.body).toBeUndefined();
    expect(scrubbed.message).toBe(
      `bad ${REDACTED}; caused by Error: cause ${REDACTED}`,
    );
    expect(scrubbed.reason).toBe(`r ${REDACTED}`);
    expect((scrubbed.cause as Error).message).toBe(`cause ${REDACTED}`);
    expect(
      JSON.stringify({ ...scrubbed, stack: scrubbed.stack }),
    ).not.toContain(secret);
  });
});
