import {
  ArgumentsHost,
  BadRequestException,
  ForbiddenException,
  HttpException,
  Logger,
  NotFoundException,
  UnauthorizedException,
} from '@nestjs/common';
import { QueryFailedError } from 'typeorm';
import {
  AlreadyPurchasedError,
  DuplicateOrderError,
  OrderNotFoundError,
  OrderOutcomeUnknownError,
} from '../order/order.errors';
import {
  AdminOnlyError,
  CodeNotSentError,
  InvalidCodeError,
  SessionRevokedError,
  TooManyAttemptsError,
  TooManyCodeRequestsError,
  UnauthorizedError,
} from '../user/user.errors';
import {
  SeckillEndedError,
  SeckillNotStartedError,
  StockExhaustedError,
  VoucherNotFoundError,
} from '../voucher/voucher.errors';
import { AllExceptionsFilter } from './all-exceptions.filter';
import { DependencyUnavailableError, DomainError, ValidationFailedError } from './domain-error';
import { FailureEnvelope } from './envelope';
import { ERROR_TABLE, ErrorCode } from './error-codes';

interface Answer {
  status: number;
  body: FailureEnvelope;
}

function fakeHost() {
  const reply = { status: jest.fn(), send: jest.fn(), header: jest.fn() };
  reply.status.mockReturnValue(reply);
  reply.send.mockReturnValue(reply);
  reply.header.mockReturnValue(reply);
  const request = { method: 'POST', url: '/voucher-order/seckill/1' };
  const host = {
    switchToHttp: () => ({ getRequest: () => request, getResponse: () => reply }),
  } as unknown as ArgumentsHost;
  return { host, reply };
}

const mysqlConnectionError = () =>
  Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:3306'), {
    code: 'ECONNREFUSED',
    fatal: true,
  });

describe(AllExceptionsFilter.name, () => {
  let logError: jest.SpiedFunction<Logger['error']>;
  let logWarn: jest.SpiedFunction<Logger['warn']>;
  let sut: AllExceptionsFilter;

  beforeEach(() => {
    logError = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    logWarn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    sut = new AllExceptionsFilter();
  });

  afterEach(() => {
    jest.restoreAllMocks();
  });

  function answer(exception: unknown): Answer {
    const { host, reply } = fakeHost();
    sut.catch(exception, host);
    expect(reply.status).toHaveBeenCalledTimes(1);
    expect(reply.send).toHaveBeenCalledTimes(1);
    return {
      status: reply.status.mock.calls[0][0] as number,
      body: reply.send.mock.calls[0][0] as FailureEnvelope,
    };
  }

  const envelope = (code: ErrorCode, errorMsg: string = ERROR_TABLE[code].message): Answer => ({
    status: ERROR_TABLE[code].status,
    body: { success: false, code, errorMsg },
  });

  describe('domain errors', () => {
    it.each<[DomainError, number, ErrorCode]>([
      [new UnauthorizedError(), 401, 'UNAUTHORIZED'],
      [new InvalidCodeError(), 401, 'INVALID_CODE'],
      [new SessionRevokedError(), 401, 'SESSION_REVOKED'],
      [new TooManyAttemptsError(60), 429, 'TOO_MANY_ATTEMPTS'],
      [new TooManyCodeRequestsError(60), 429, 'TOO_MANY_REQUESTS'],
      [new CodeNotSentError(new Error('SMS webhook answered 500')), 503, 'CODE_NOT_SENT'],
      [new AdminOnlyError(), 403, 'FORBIDDEN'],
      [new VoucherNotFoundError(), 404, 'VOUCHER_NOT_FOUND'],
      [new OrderNotFoundError(), 404, 'ORDER_NOT_FOUND'],
      [new SeckillNotStartedError(), 409, 'SECKILL_NOT_STARTED'],
      [new SeckillEndedError(), 409, 'SECKILL_ENDED'],
      [new StockExhaustedError(), 409, 'STOCK_EXHAUSTED'],
      [new DuplicateOrderError(), 409, 'DUPLICATE_ORDER'],
      [new AlreadyPurchasedError(), 409, 'ALREADY_PURCHASED'],
      [new OrderOutcomeUnknownError(), 504, 'ORDER_OUTCOME_UNKNOWN'],
    ])('answers %p with %i %s and its message from the table', (error, status, code) => {
      expect(answer(error)).toEqual(envelope(code));
      expect(ERROR_TABLE[code].status).toBe(status);
    });

    it.each<[string, DomainError, string]>([
      ['too many attempts', new TooManyAttemptsError(600), '600'],
      ['too many code requests', new TooManyCodeRequestsError(42), '42'],
    ])('sends Retry-After for %s', (_case, error, seconds) => {
      const { host, reply } = fakeHost();

      sut.catch(error, host);

      expect(reply.header).toHaveBeenCalledTimes(1);
      expect(reply.header).toHaveBeenCalledWith('retry-after', seconds);
    });

    it('sends no Retry-After for an error that does not end by itself', () => {
      const { host, reply } = fakeHost();

      sut.catch(new InvalidCodeError(), host);

      expect(reply.header).not.toHaveBeenCalled();
    });

    it('answers ValidationFailedError with 400 and its detail', () => {
      expect(answer(new ValidationFailedError('stock must not be less than 0'))).toEqual(
        envelope('VALIDATION_FAILED', 'stock must not be less than 0'),
      );
    });

    it('answers DependencyUnavailableError with 503 naming the dependencies, and logs it', () => {
      const { status, body } = answer(new DependencyUnavailableError(['mysql', 'redis']));

      expect(status).toBe(503);
      expect(body).toMatchObject({ success: false, code: 'SERVICE_UNAVAILABLE' });
      expect(body.errorMsg).toMatch(/mysql/);
      expect(body.errorMsg).toMatch(/redis/);
      expect(logWarn).toHaveBeenCalledTimes(1);
      expect(logError).not.toHaveBeenCalled();
    });

    it('logs no error for an expected failure', () => {
      answer(new StockExhaustedError());

      expect(logError).not.toHaveBeenCalled();
      expect(logWarn).not.toHaveBeenCalled();
    });
  });

  describe('framework errors', () => {
    it.each<[string, HttpException, number, ErrorCode]>([
      ['an unknown route', new NotFoundException('Cannot GET /nope'), 404, 'NOT_FOUND'],
      ['a 401', new UnauthorizedException(), 401, 'UNAUTHORIZED'],
      ['a 403', new ForbiddenException(), 403, 'FORBIDDEN'],
      [
        'a body too large',
        new HttpException('Request body is too large', 413),
        413,
        'PAYLOAD_TOO_LARGE',
      ],
      [
        'an unsupported media type',
        new HttpException('Unsupported Media Type: text/plain', 415),
        415,
        'UNSUPPORTED_MEDIA_TYPE',
      ],
    ])('answers %s with %i %s and the table message', (_case, exception, status, code) => {
      expect(answer(exception)).toEqual(envelope(code));
      expect(ERROR_TABLE[code].status).toBe(status);
    });

    it('answers a framework 400 with VALIDATION_FAILED carrying what is wrong', () => {
      const exception = new BadRequestException(
        "Body is not valid JSON but content-type is set to 'application/json'",
      );

      expect(answer(exception)).toEqual(envelope('VALIDATION_FAILED', exception.message));
    });
  });

  describe('framework errors without a row of their own', () => {
    it.each([405, 408, 422, 429])(
      'answers a framework %i as a 400 saying what is wrong',
      (status) => {
        expect(answer(new HttpException('not like this', status))).toEqual(
          envelope('VALIDATION_FAILED', 'not like this'),
        );
      },
    );

    it('answers a framework 503 as SERVICE_UNAVAILABLE', () => {
      expect(answer(new HttpException('busy', 503)).status).toBe(503);
    });

    it('answers a framework 502 as our own 500, logged', () => {
      expect(answer(new HttpException('bad gateway', 502))).toEqual(envelope('INTERNAL_ERROR'));
      expect(logError).toHaveBeenCalledTimes(1);
    });
  });

  describe('unreachable dependencies', () => {
    it.each<[string, () => unknown, string]>([
      ['a mysql2 connection error', mysqlConnectionError, 'mysql'],
      [
        'a TypeORM QueryFailedError over one',
        () => new QueryFailedError('SELECT 1', [], mysqlConnectionError()),
        'mysql',
      ],
      [
        'an ioredis command without a connection',
        () => new Error("Stream isn't writeable and enableOfflineQueue options is false"),
        'redis',
      ],
    ])('answers %s with 503 naming %s, and logs it', (_case, failure, dependency) => {
      const { status, body } = answer(failure());

      expect(status).toBe(503);
      expect(body).toEqual({
        success: false,
        code: 'SERVICE_UNAVAILABLE',
        errorMsg: expect.stringContaining(dependency),
      });
      expect(body.errorMsg).not.toMatch(dependency === 'mysql' ? /redis/ : /mysql/);
      expect(logWarn).toHaveBeenCalledTimes(1);
      expect(logError).not.toHaveBeenCalled();
    });
  });

  describe('bugs', () => {
    it('answers a plain Error with 500 and nothing of the error in the body', () => {
      const bug = new TypeError("Cannot read properties of undefined (reading 'secret-detail')");

      const { status, body } = answer(bug);

      expect(status).toBe(500);
      expect(body).toEqual(envelope('INTERNAL_ERROR').body);
      expect(body).not.toHaveProperty('stack');
      // The stack starts with the message: neither may reach the client.
      expect(JSON.stringify(body)).not.toContain('secret-detail');
    });

    it('logs the error with the request it failed', () => {
      const bug = new Error('boom');

      answer(bug);

      expect(logError).toHaveBeenCalledTimes(1);
      expect(logError).toHaveBeenCalledWith(
        expect.objectContaining({ err: bug, method: 'POST', url: '/voucher-order/seckill/1' }),
        expect.any(String),
      );
    });

    it.each([undefined, null, 'a string', 42])('answers a thrown %p with 500', (thrown) => {
      expect(answer(thrown)).toEqual(envelope('INTERNAL_ERROR'));
    });
  });
});
