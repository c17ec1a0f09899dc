import { ERROR_TABLE, ErrorCode } from './error-codes';

const entries = Object.entries(ERROR_TABLE) as [ErrorCode, { status: number; message: string }][];

describe('ERROR_TABLE', () => {
  it.each(entries)('%s answers with a 4xx or 5xx status', (_code, { status }) => {
    expect(Number.isInteger(status)).toBe(true);
    expect(status).toBeGreaterThanOrEqual(400);
    expect(status).toBeLessThan(600);
  });

  it.each(entries)('%s has a non-empty message', (_code, { message }) => {
    expect(message.trim()).not.toBe('');
  });

  it('gives every code its own message', () => {
    const messages = entries.map(([, { message }]) => message);

    expect(new Set(messages).size).toBe(messages.length);
  });

  it('names every code in SCREAMING_SNAKE_CASE', () => {
    for (const [code] of entries) expect(code).toMatch(/^[A-Z]+(_[A-Z]+)*$/);
  });

  it.each<[ErrorCode, number]>([
    ['VALIDATION_FAILED', 400],
    ['UNAUTHORIZED', 401],
    ['FORBIDDEN', 403],
    ['NOT_FOUND', 404],
    ['SERVICE_UNAVAILABLE', 503],
    ['INTERNAL_ERROR', 500],
  ])('keeps the generic code %s at %i', (code, status) => {
    expect(ERROR_TABLE[code].status).toBe(status);
  });
});
