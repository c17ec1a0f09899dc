import { ArgumentMetadata, Injectable, PipeTransform } from '@nestjs/common';
import { ValidationFailedError } from './domain-error';

const DIGITS = /^[1-9][0-9]*$/;
const MAX_BIGINT_ID = 2n ** 63n - 1n;

/** A path id that must be a positive safe integer: `0`, `-1`, `1.5`, `1e3`, `abc` are 400. */
@Injectable()
export class ParseIdPipe implements PipeTransform<string, number> {
  transform(value: string, metadata: ArgumentMetadata): number {
    const id = DIGITS.test(value) ? Number(value) : NaN;
    if (!Number.isSafeInteger(id)) {
      throw new ValidationFailedError(`${metadata.data ?? 'id'} must be a positive integer`);
    }
    return id;
  }
}

/** A 64-bit order id, kept as a decimal string because it does not fit a JS number. */
@Injectable()
export class ParseBigIdPipe implements PipeTransform<string, string> {
  transform(value: string, metadata: ArgumentMetadata): string {
    if (!DIGITS.test(value) || value.length > 19 || BigInt(value) > MAX_BIGINT_ID) {
      throw new ValidationFailedError(`${metadata.data ?? 'id'} must be a positive 64-bit integer`);
    }
    return value;
  }
}
