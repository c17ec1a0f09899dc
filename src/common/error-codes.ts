/**
 * Every expected failure of the API: its code, HTTP status and the one message
 * clients see. Services throw DomainError subclasses naming a code; the global
 * filter is the only place that turns a code into a response.
 */
export const ERROR_TABLE = {
  VALIDATION_FAILED: { status: 400, message: 'validation failed' },
  UNAUTHORIZED: { status: 401, message: 'please log in' },
  METRICS_TOKEN_REQUIRED: { status: 401, message: 'send METRICS_TOKEN as a bearer token' },
  INVALID_CODE: { status: 401, message: 'invalid or expired verification code' },
  SESSION_REVOKED: { status: 401, message: 'this session ended: you logged in elsewhere' },
  FORBIDDEN: { status: 403, message: 'admin only' },
  NOT_FOUND: { status: 404, message: 'no such route' },
  VOUCHER_NOT_FOUND: { status: 404, message: 'voucher not found' },
  ORDER_NOT_FOUND: { status: 404, message: 'order not found' },
  SECKILL_NOT_STARTED: { status: 409, message: 'seckill has not started' },
  SECKILL_ENDED: { status: 409, message: 'seckill has ended' },
  STOCK_EXHAUSTED: { status: 409, message: 'insufficient stock' },
  DUPLICATE_ORDER: { status: 409, message: 'duplicate order not allowed' },
  LOCK_WAIT_TIMEOUT: { status: 409, message: 'busy: another request holds it, try again' },
  ALREADY_PURCHASED: { status: 409, message: 'user has already purchased this voucher' },
  STOCK_LIMIT_EXCEEDED: {
    status: 409,
    message: 'the raise would take the stock past 100,000,000 units',
  },
  REQUEST_TIMEOUT: { status: 408, message: 'the request took too long to arrive' },
  PAYLOAD_TOO_LARGE: { status: 413, message: 'request body is too large' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'request body must be application/json' },
  TOO_MANY_ATTEMPTS: { status: 429, message: 'too many wrong codes for this phone, try later' },
  TOO_MANY_REQUESTS: { status: 429, message: 'too many code requests for this phone, try later' },
  HEADERS_TOO_LARGE: { status: 431, message: 'request headers are too large' },
  SERVICE_UNAVAILABLE: { status: 503, message: 'a dependency is unavailable' },
  SHUTTING_DOWN: { status: 503, message: 'this instance is shutting down, retry' },
  CODE_NOT_SENT: { status: 503, message: 'the login code could not be sent, try again' },
  STOCK_REBUILDING: {
    status: 503,
    message: 'the sale is being reloaded from the database: no order was taken, retry',
  },
  STOCK_RAISE_INCOMPLETE: {
    status: 503,
    message:
      'the stock was raised in MySQL but Redis could not be updated: orders may not get the new units until `npm run reconcile -- --voucher ID --fix` runs',
  },
  ORDER_OUTCOME_UNKNOWN: {
    status: 504,
    message:
      'the order could not be confirmed in time: check your orders or retry (a retry answers ALREADY_PURCHASED if it went through)',
  },
  INTERNAL_ERROR: { status: 500, message: 'internal error' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERROR_TABLE;
