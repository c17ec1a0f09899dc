import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsISO8601,
  IsInt,
  IsOptional,
  IsString,
  Length,
  Matches,
  Max,
  MaxLength,
  Min,
  Validate,
  ValidatorConstraint,
  ValidatorConstraintInterface,
  ValidationArguments,
} from 'class-validator';

const MAX_MONEY_CENTS = 100_000_000_00;
/** The most units a sale may hold, at creation and after raises (the column is INT UNSIGNED). */
export const MAX_STOCK = 100_000_000;
/**
 * A time must say which zone it is in: `2026-12-01T10:00:00` is a different
 * instant on every server and every admin's laptop.
 */
const EXPLICIT_OFFSET = /(Z|[+-]\d{2}:\d{2})$/;
const EXPLICIT_OFFSET_MESSAGE = '$property must end with Z or an offset such as +08:00';

@ValidatorConstraint({ name: 'isAfterBeginTime' })
class IsAfterBeginTime implements ValidatorConstraintInterface {
  validate(endTime: unknown, args: ValidationArguments): boolean {
    const { beginTime } = args.object as CreateSeckillVoucherDto;
    return Date.parse(String(endTime)) > Date.parse(String(beginTime));
  }

  defaultMessage(): string {
    return 'endTime must be after beginTime';
  }
}

export class CreateSeckillVoucherDto {
  @ApiProperty({ example: 1 })
  @IsInt()
  @Min(1)
  @Max(Number.MAX_SAFE_INTEGER)
  shopId!: number;

  @ApiProperty({ example: '100 yuan voucher' })
  @IsString()
  @Length(1, 255)
  title!: string;

  @ApiPropertyOptional({ example: 'weekdays only' })
  @IsOptional()
  @IsString()
  @MaxLength(255)
  subTitle?: string;

  @ApiPropertyOptional({ example: 'one per person' })
  @IsOptional()
  @IsString()
  @MaxLength(1024)
  rules?: string;

  @ApiProperty({ example: 8000, description: 'price in cents' })
  @IsInt()
  @Min(0)
  @Max(MAX_MONEY_CENTS)
  payValue!: number;

  @ApiProperty({ example: 10000, description: 'face value in cents' })
  @IsInt()
  @Min(0)
  @Max(MAX_MONEY_CENTS)
  actualValue!: number;

  @ApiProperty({ example: 100 })
  @IsInt()
  @Min(0)
  @Max(MAX_STOCK)
  stock!: number;

  @ApiProperty({
    example: '2026-11-24T10:00:00Z',
    description: 'ISO-8601 with Z or an offset (+08:00); answered in UTC',
  })
  @IsISO8601({ strict: true, strictSeparator: true })
  @Matches(EXPLICIT_OFFSET, { message: EXPLICIT_OFFSET_MESSAGE })
  beginTime!: string;

  @ApiProperty({
    example: '2026-11-24T12:00:00Z',
    description: 'ISO-8601 with Z or an offset (+08:00); answered in UTC',
  })
  @IsISO8601({ strict: true, strictSeparator: true })
  @Matches(EXPLICIT_OFFSET, { message: EXPLICIT_OFFSET_MESSAGE })
  @Validate(IsAfterBeginTime)
  endTime!: string;
}
