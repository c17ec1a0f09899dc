/**
 * Every expected failure of the API: its code, HTTP status and the one message
 * clients see. Services throw DomainError subclasses naming a code; the global
 * filter is the only place that turns a code into a response.
 */
export const ERROR_TABLE = {
  VALIDATION_FAILED: { status: 400, message: 'validation failed' },
  UNAUTHORIZED: { status: 401, message: 'please log in' },
  INVALID_CODE: { status: 401, message: 'invalid or expired verification code' },
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
  PAYLOAD_TOO_LARGE: { status: 413, message: 'request body is too large' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'request body must be application/json' },
  SERVICE_UNAVAILABLE: { status: 503, message: 'a dependency is unavailable' },
  STOCK_REBUILDING: {
    status: 503,
    message: 'the sale is being reloaded from the database: no order was taken, retry',
  },
  ORDER_OUTCOME_UNKNOWN: {
    status: 504,
    message:
      'the order could not be confirmed in time: check your orders or retry (a retry answers ALREADY_PURCHASED if it went through)',
  },
  INTERNAL_ERROR: { status: 500, message: 'internal error' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERROR_TABLE;
