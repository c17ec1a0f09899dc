import { ValueTransformer } from 'typeorm';

/**
 * BIGINT ids of users and vouchers come from AUTO_INCREMENT and stay far below
 * 2^53, so they travel as numbers. Order ids do not, and stay strings.
 */
export const bigintToNumber: ValueTransformer = {
  to: (value: number | undefined) => value,
  from: (value: string | null) => (value === null ? null : Number(value)),
};
