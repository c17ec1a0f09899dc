import { setTimeout as sleep } from 'node:timers/promises';

/** Polls `check` until it holds; throws naming `what` once `ms` have passed. */
export async function until(
  what: string,
  check: () => Promise<boolean>,
  ms = 10_000,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}
