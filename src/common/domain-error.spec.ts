import { DependencyUnavailableError, DomainError } from './domain-error';
import { ERROR_TABLE } from './error-codes';

describe(DomainError.name, () => {
  it("carries its code, the table's message and its class name", () => {
    const sut = new DomainError('STOCK_EXHAUSTED');

    expect(sut).toBeInstanceOf(Error);
    expect(sut.code).toBe('STOCK_EXHAUSTED');
    expect(sut.message).toBe(ERROR_TABLE.STOCK_EXHAUSTED.message);
    expect(sut.name).toBe('DomainError');
  });

  it('captures no stack frames (an expected failure; cheap to throw), and leaves the limit as it was', () => {
    const limit = Error.stackTraceLimit;

    const sut = new DomainError('STOCK_EXHAUSTED');

    expect(sut.stack).not.toMatch(/\n\s+at /);
    expect(Error.stackTraceLimit).toBe(limit);
    expect(new Error('other').stack).toMatch(/\n\s+at /);
  });

  it("keeps the cause's stack", () => {
    const cause = new Error('connect ECONNREFUSED');

    const sut = new DependencyUnavailableError(['redis'], cause);

    expect(sut.cause).toBe(cause);
    expect((sut.cause as Error).stack).toMatch(/\n\s+at /);
  });
});
