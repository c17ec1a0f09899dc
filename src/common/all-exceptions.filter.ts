import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { dependencyBehind } from './dependency-failure';
import { DependencyUnavailableError, DomainError } from './domain-error';
import { failure } from './envelope';
import { ERROR_TABLE, ErrorCode } from './error-codes';
import { RetryLaterError } from './retry-later.error';

/** Framework 4xx errors (routing, body parsing by fastify) and the code they answer with. */
const HTTP_STATUS_CODES: Partial<Record<number, ErrorCode>> = {
  400: 'VALIDATION_FAILED',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  503: 'SERVICE_UNAVAILABLE',
};

interface Failure {
  code: ErrorCode;
  message: string;
}

/**
 * The one place where errors become HTTP responses: domain errors by the table,
 * framework 4xx by their status, an unreachable MySQL or Redis as 503, and
 * anything else as a logged 500 whose body carries no stack.
 */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger(AllExceptionsFilter.name);

  catch(exception: unknown, host: ArgumentsHost): void {
    this.tellWhenToRetry(exception, host);
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const { code, message } = this.toFailure(exception, request);
    void reply.status(ERROR_TABLE[code].status).send(failure(code, message));
  }

  private toFailure(exception: unknown, request: FastifyRequest): Failure {
    if (exception instanceof DomainError) {
      if (exception instanceof DependencyUnavailableError) this.logUnavailable(exception, request);
      return { code: exception.code, message: exception.message };
    }
    const frameworkFailure = this.fromFramework(exception);
    if (frameworkFailure) return frameworkFailure;

    const dependency = dependencyBehind(exception);
    if (dependency) {
      const error = new DependencyUnavailableError([dependency], exception);
      this.logUnavailable(error, request);
      return { code: error.code, message: error.message };
    }
    this.logger.error(
      { err: exception, method: request.method, url: request.url },
      'unhandled error answered with 500',
    );
    return { code: 'INTERNAL_ERROR', message: ERROR_TABLE.INTERNAL_ERROR.message };
  }

  private fromFramework(exception: unknown): Failure | undefined {
    if (!(exception instanceof HttpException)) return undefined;
    const status = exception.getStatus();
    // Any other client error is a bad request; any other server error is ours (500).
    const code = HTTP_STATUS_CODES[status] ?? (status < 500 ? 'VALIDATION_FAILED' : undefined);
    if (!code) return undefined;
    // A 4xx from the framework says what is wrong ("Body is not valid JSON ...").
    return {
      code,
      message: code === 'VALIDATION_FAILED' ? exception.message : ERROR_TABLE[code].message,
    };
  }

  private logUnavailable(error: DependencyUnavailableError, request: FastifyRequest): void {
    this.logger.warn(
      { err: error.cause, method: request.method, url: request.url },
      `answered 503: ${error.message}`,
    );
  }

  /** A failure that ends by itself (a login limit) says when: `Retry-After: <seconds>`. */
  private tellWhenToRetry(exception: unknown, host: ArgumentsHost): void {
    if (!(exception instanceof RetryLaterError)) return;
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    void reply.header('retry-after', String(exception.retryAfterSeconds));
  }
}
