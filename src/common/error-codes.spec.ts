import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ERROR_TABLE, ErrorCode } from './error-codes';

const entries = Object.entries(ERROR_TABLE) as [ErrorCode, { status: number; message: string }][];

/** `| 409 | STOCK_EXHAUSTED | insufficient stock |` rows of the README's error table. */
function readmeErrorRows(): string[] {
  const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
  return [...readme.matchAll(/^\| (\d{3}) \| ([A-Z][A-Z_]+) \|/gm)].map(
    ([, status, code]) => `${status} ${code}`,
  );
}

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

  it("is the README's error table: every code once, with its status", () => {
    const documented = readmeErrorRows();

    expect([...documented].sort()).toEqual(
      entries.map(([code, { status }]) => `${status} ${code}`).sort(),
    );
  });
});
