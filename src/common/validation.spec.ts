import { ArgumentMetadata, ValidationPipe } from '@nestjs/common';
import { CreateSeckillVoucherDto } from '../voucher/dto/create-seckill-voucher.dto';
import { ValidationFailedError } from './domain-error';
import { createValidationPipe } from './validation';

const asBody: ArgumentMetadata = { type: 'body', metatype: CreateSeckillVoucherDto };

function voucherBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    shopId: 1,
    title: '100 yuan voucher',
    subTitle: 'weekdays only',
    rules: 'one per person',
    payValue: 8000,
    actualValue: 10000,
    stock: 100,
    beginTime: '2026-11-24T10:00:00Z',
    endTime: '2026-11-24T12:00:00Z',
    ...overrides,
  };
}

describe(createValidationPipe.name, () => {
  let sut: ValidationPipe;

  beforeEach(() => {
    sut = createValidationPipe();
  });

  it('turns a valid body into the DTO', async () => {
    const dto: unknown = await sut.transform(voucherBody(), asBody);

    expect(dto).toBeInstanceOf(CreateSeckillVoucherDto);
    expect(dto).toEqual(voucherBody());
  });

  it('accepts a body without the optional fields', async () => {
    const body = voucherBody();
    delete body.subTitle;
    delete body.rules;

    await expect(sut.transform(body, asBody)).resolves.toBeInstanceOf(CreateSeckillVoucherDto);
  });

  it('accepts a stock of 0', async () => {
    await expect(sut.transform(voucherBody({ stock: 0 }), asBody)).resolves.toMatchObject({
      stock: 0,
    });
  });

  it.each<[string, Record<string, unknown>, RegExp]>([
    ['a negative stock', voucherBody({ stock: -1 }), /^stock /],
    ['a fractional stock', voucherBody({ stock: 1.5 }), /^stock /],
    ['a stock given as a string', voucherBody({ stock: '100' }), /^stock /],
    [
      'an endTime equal to beginTime',
      voucherBody({ endTime: '2026-11-24T10:00:00Z' }),
      /^endTime /,
    ],
    ['an endTime before beginTime', voucherBody({ endTime: '2026-11-24T09:00:00Z' }), /^endTime /],
    ['a beginTime that is no date', voucherBody({ beginTime: 'tomorrow' }), /^beginTime /],
    ['a smuggled userId', voucherBody({ userId: 42 }), /\buserId\b/],
    ['a missing title', voucherBody({ title: undefined }), /^title /],
    ['an empty title', voucherBody({ title: '' }), /^title /],
    ['a shopId of 0', voucherBody({ shopId: 0 }), /^shopId /],
  ])('refuses %s with ValidationFailedError naming the field', async (_case, body, field) => {
    const transforming = sut.transform(body, asBody);

    await expect(transforming).rejects.toBeInstanceOf(ValidationFailedError);
    await expect(transforming).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      message: expect.stringMatching(field),
    });
  });

  it('leaves path parameters to their own pipes, unconverted', async () => {
    await expect(
      sut.transform('1e3', { type: 'param', metatype: Number, data: 'id' }),
    ).resolves.toBe('1e3');
  });

  it('names every field that is wrong', async () => {
    await expect(
      sut.transform(voucherBody({ stock: -1, title: undefined }), asBody),
    ).rejects.toMatchObject({
      message: expect.stringMatching(/^(?=.*\bstock\b)(?=.*\btitle\b)/),
    });
  });
});
