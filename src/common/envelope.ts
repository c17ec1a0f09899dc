import { ERROR_TABLE, ErrorCode } from './error-codes';

export interface SuccessEnvelope<T> {
  success: true;
  data: T;
  total?: number;
}

export interface FailureEnvelope {
  success: false;
  code: ErrorCode;
  errorMsg: string;
}

/*
 * Controllers wrap their answer themselves rather than through a global
 * interceptor: a Nest interceptor costs every request an rxjs pipeline and two
 * AsyncResource bindings, about a tenth of the CPU of the cheapest routes.
 */

/** `{ success: true, data }`. */
export function ok<T>(data: T): SuccessEnvelope<T> {
  return { success: true, data };
}

/** `{ success: true, data: items, total }`. */
export function okList<T>(items: T[], total: number = items.length): SuccessEnvelope<T[]> {
  return { success: true, data: items, total };
}

/** `{ success: false, code, errorMsg }`, with the table's message unless a detail is given. */
export function failure(
  code: ErrorCode,
  errorMsg: string = ERROR_TABLE[code].message,
): FailureEnvelope {
  return { success: false, code, errorMsg };
}
