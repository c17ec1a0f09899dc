import { ApiProperty } from '@nestjs/swagger';
import { IsString, Matches } from 'class-validator';

/** A mainland China mobile number, as hm-dianping's RegexUtils accepts. */
export const PHONE_PATTERN = /^1[3-9]\d{9}$/;

export class SendCodeDto {
  @ApiProperty({ example: '13800000000' })
  @IsString()
  @Matches(PHONE_PATTERN, { message: 'phone must be an 11-digit mobile number' })
  phone!: string;
}
