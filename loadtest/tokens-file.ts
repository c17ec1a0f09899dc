import { ShopperSession } from './shoppers';

/** The header names become JMeter variables (${token}) and k6 object keys. */
export const TOKENS_CSV_COLUMNS = ['token', 'userId', 'phone'] as const;

/** The tokens file of `npm run tokens`: a header line, then token,userId,phone per shopper. */
export function toTokensCsv(sessions: readonly ShopperSession[]): string {
  const lines = sessions.map((session) => [session.token, session.id, session.phone].join(','));
  return `${[TOKENS_CSV_COLUMNS.join(','), ...lines].join('\n')}\n`;
}
