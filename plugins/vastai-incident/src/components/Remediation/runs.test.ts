import { newIdempotencyKey } from './runs';

describe('newIdempotencyKey', () => {
  it('makes a fresh key each time', () => {
    const keys = new Set(Array.from({ length: 50 }, () => newIdempotencyKey()));
    expect(keys.size).toBe(50);
    for (const key of keys) expect(key).toMatch(/^[A-Za-z0-9._:-]{16,200}$/);
  });
});
