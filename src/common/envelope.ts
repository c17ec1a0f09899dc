import { ErrorCode } from './error-codes';

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

/** Returned by a controller to answer a list: the envelope then carries `total`. */
export class ListResult<T> {
  constructor(
    readonly items: T[],
    readonly total: number = items.length,
  ) {}
}

export function toSuccessEnvelope(value: unknown): SuccessEnvelope<unknown> {
  if (value instanceof ListResult) return { success: true, data: value.items, total: value.total };
  return { success: true, data: value ?? null };
}
