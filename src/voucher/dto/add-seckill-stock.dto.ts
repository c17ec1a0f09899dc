import { ApiProperty } from '@nestjs/swagger';
import { IsInt, Max, Min } from 'class-validator';

/** At most this many units in one raise (the column is INT UNSIGNED; the creation's own maximum). */
export const MAX_STOCK_RAISE = 100_000_000;

export class AddSeckillStockDto {
  @ApiProperty({ example: 100, description: 'units to add to the running sale' })
  @IsInt()
  @Min(1)
  @Max(MAX_STOCK_RAISE)
  units!: number;
}
