import type Redis from 'ioredis';
import { randomUUID } from 'node:crypto';

/**
 * Every command sent to `redis`'s db while `action` runs, as Redis saw it
 * (MONITOR), from any client: the app's own connections included. Other dbs
 * of the shared server (other test runs) are left out.
 */
export async function redisCommandsDuring(
  redis: Redis,
  action: () => Promise<unknown>,
): Promise<string[][]> {
  const db = String(redis.options.db ?? 0);
  const marker = `end-of-action-${randomUUID()}`;
  const commands: string[][] = [];
  const monitor = await redis.monitor();
  let seenMarker: () => void = () => undefined;
  const markerSeen = new Promise<void>((resolve) => (seenMarker = resolve));
  monitor.on('monitor', (_time: string, args: string[], _source: string, database: string) => {
    if (database !== db) return;
    if (args[1] === marker) seenMarker();
    else commands.push(args);
  });
  try {
    await action();
    // Redis runs commands in order: once it has seen this one, it has seen the action's.
    await redis.echo(marker);
    await markerSeen;
    return commands;
  } finally {
    monitor.disconnect();
  }
}

/** The commands of `commands` that name `key` (as a key or an argument). */
export function touching(commands: string[][], key: string): string[][] {
  return commands.filter((args) => args.slice(1).some((arg) => arg.includes(key)));
}
