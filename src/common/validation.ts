import { ValidationError, ValidationPipe } from '@nestjs/common';
import { ValidationFailedError } from './domain-error';

function describe(errors: ValidationError[], parent = ''): string[] {
  return errors.flatMap((error) => {
    const path = parent ? `${parent}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((message) =>
      message.startsWith(error.property)
        ? `${path}${message.slice(error.property.length)}`
        : message,
    );
    return [...own, ...describe(error.children ?? [], path)];
  });
}

/**
 * Bodies are validated against their DTO: unknown fields are refused rather than
 * dropped, so a smuggled `userId` is an error the client sees, not a silent no-op.
 */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    stopAtFirstError: true,
    exceptionFactory: (errors) => new ValidationFailedError(describe(errors).join('; ')),
  });
}
