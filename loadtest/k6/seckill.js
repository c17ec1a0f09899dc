// The flash crowd of `npm run loadtest`, for k6 (https://k6.io; not on npm: the npm
// package named k6 is a stub). Every row of the tokens file orders the voucher once.
//
//   npm run tokens -- --count 1000 --out tokens.csv
//   k6 run -e VOUCHER_ID=42 loadtest/k6/seckill.js
//
// -e VOUCHER_ID (required), HOST (127.0.0.1), PORT (8081), VUS (50, concurrent shoppers),
// TOKENS (the tokens file, default tokens.csv: relative to this script, so pass an
// absolute path, e.g. -e TOKENS=$PWD/tokens.csv).
import http from 'k6/http';
import { check } from 'k6';
import exec from 'k6/execution';
import { SharedArray } from 'k6/data';

const tokens = new SharedArray('tokens', () =>
  open(__ENV.TOKENS || 'tokens.csv')
    .split('\n')
    .slice(1) // the header line: token,userId,phone
    .filter((line) => line.trim() !== '')
    .map((line) => line.split(',')[0]),
);

if (!__ENV.VOUCHER_ID) throw new Error('set the voucher: k6 run -e VOUCHER_ID=<id> ...');
const url = `http://${__ENV.HOST || '127.0.0.1'}:${__ENV.PORT || '8081'}/voucher-order/seckill/${__ENV.VOUCHER_ID}`;

// 201 (sync), 202 (async) and the losers' 409 are the answers a sale gives: not failures.
http.setResponseCallback(http.expectedStatuses(201, 202, 409));

export const options = {
  scenarios: {
    flash: {
      executor: 'shared-iterations',
      vus: Math.min(Number(__ENV.VUS || 50), tokens.length),
      iterations: tokens.length, // one order per token
      maxDuration: '5m',
    },
  },
  thresholds: { checks: ['rate==1'] },
};

export default function () {
  const token = tokens[exec.scenario.iterationInTest];
  const res = http.post(url, null, { headers: { authorization: `Bearer ${token}` } });
  check(res, {
    'ordered (201/202) or refused as expected (409)': (r) => [201, 202, 409].includes(r.status),
  });
}
