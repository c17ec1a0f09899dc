import { ArgumentMetadata } from '@nestjs/common';
import { ValidationFailedError } from './domain-error';
import { ParseBigIdPipe, ParseIdPipe } from './parse-id.pipe';

const metadata: ArgumentMetadata = { type: 'param', data: 'id' };

describe(ParseIdPipe.name, () => {
  let sut: ParseIdPipe;

  beforeEach(() => {
    sut = new ParseIdPipe();
  });

  it.each<[string, number]>([
    ['1', 1],
    ['42', 42],
    ['9007199254740991', Number.MAX_SAFE_INTEGER],
  ])('turns %p into the number %p', (value, expected) => {
    expect(sut.transform(value, metadata)).toBe(expected);
  });

  it.each(['0', '-1', '1.5', '1e3', 'abc', '', ' 1', '1 ', '01', '0x10', '+1', '9007199254740992'])(
    'refuses %p with ValidationFailedError',
    (value) => {
      expect(() => sut.transform(value, metadata)).toThrow(ValidationFailedError);
    },
  );

  it('names the parameter in the message', () => {
    expect(() => sut.transform('abc', { type: 'param', data: 'shopId' })).toThrow(/^shopId /);
  });
});

describe(ParseBigIdPipe.name, () => {
  let sut: ParseBigIdPipe;

  beforeEach(() => {
    sut = new ParseBigIdPipe();
  });

  it.each(['1', '9007199254740993', '7031415926535897932', '9223372036854775807'])(
    'keeps %p as the same decimal string',
    (value) => {
      expect(sut.transform(value, metadata)).toBe(value);
    },
  );

  it.each([
    '9223372036854775808',
    '99999999999999999999',
    '10000000000000000000',
    '0',
    '-1',
    '01',
    '1.5',
    'abc',
    '',
  ])('refuses %p with ValidationFailedError', (value) => {
    expect(() => sut.transform(value, metadata)).toThrow(ValidationFailedError);
  });

  it('names the parameter in the message', () => {
    expect(() => sut.transform('abc', { type: 'param', data: 'orderId' })).toThrow(/^orderId /);
  });
});
