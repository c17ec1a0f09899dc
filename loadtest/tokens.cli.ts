import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { authConfig, AuthConfig } from '../src/config/configuration';
import { openAppContext } from './app-context';
import { intFlag, logPhase, parseFlags, runCli } from './cli';
import { loadtestContextOf } from './loadtest.context';
import { prepareShoppers } from './shoppers';
import { toTokensCsv } from './tokens-file';

const TOOL = 'tokens';
const DEFAULT_OUT = 'tokens.csv';
const USAGE = `usage: npm run tokens -- --count N [--out ${DEFAULT_OUT}]
Signs in N new shoppers (the login code path, in bulk) and writes token,userId,phone per line,
with a header line, for JMeter's CSV Data Set Config or k6. Uses the service's DB_* and REDIS_URL.`;

async function main(): Promise<number> {
  const values = parseFlags({ count: { type: 'string' }, out: { type: 'string' } });
  const count = intFlag('count', values.count, undefined, 1);
  const out = resolve(values.out ?? DEFAULT_OUT);
  const app = await openAppContext();
  try {
    logPhase(TOOL)(`signing in ${count} shoppers`);
    const sessions = await prepareShoppers(loadtestContextOf(app).users, count);
    writeFileSync(out, toTokensCsv(sessions));
    const { tokenTtlSeconds } = app.get<AuthConfig>(authConfig.KEY);
    console.log(`${out}: ${count} tokens, valid for ${tokenTtlSeconds} s (TOKEN_TTL_SECONDS)`);
    return 0;
  } finally {
    await app.close();
  }
}

runCli(TOOL, USAGE, main);
