import { SingleBar } from 'cli-progress';
import { parseArgs, ParseArgsConfig } from 'node:util';

export function intFlag(
  name: string,
  value: string | undefined,
  fallback: number | undefined,
  min: number,
): number {
  if (value === undefined) {
    if (fallback === undefined) throw new UsageError(`--${name} is required`);
    return fallback;
  }
  const parsed = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(parsed) || parsed < min) {
    throw new UsageError(`--${name} must be an integer >= ${min}, not "${value}"`);
  }
  return parsed;
}

/** Bad flags: print the usage, exit 2. */
export class UsageError extends Error {}

/** `--help` was asked for: print the usage, exit 0. */
class HelpRequested extends Error {}

type StringFlags = Record<string, { type: 'string' }>;

/** node's parseArgs with string flags, `--help`, and unknown flags as usage errors. */
export function parseFlags<T extends StringFlags>(options: T): Partial<Record<keyof T, string>> {
  const config: ParseArgsConfig = {
    options: { ...options, help: { type: 'boolean', short: 'h' } },
  };
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs(config).values as Record<string, string | boolean | undefined>;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) throw new HelpRequested();
  return values as Partial<Record<keyof T, string>>;
}

export function logPhase(tool: string): (phase: string) => void {
  return (phase) => console.error(`[${tool} ${new Date().toISOString().slice(11, 19)}] ${phase}`);
}

/** A progress bar on stderr; silent when stderr is not a terminal (CI, pipes). */
export function progressBar(): {
  update: (done: number, total: number) => void;
  stop: () => void;
} {
  const bar = new SingleBar({
    format: '  {bar} {percentage}% | {value}/{total} answers | {duration}s',
    stream: process.stderr,
    hideCursor: true,
  });
  let started = false;
  return {
    update: (done, total) => {
      if (!started) bar.start(total, 0);
      started = true;
      bar.update(done);
    },
    stop: () => {
      if (started) bar.stop();
      started = false;
    },
  };
}

/** Runs a command's main and exits with its code: 1 on an error, 2 on bad usage. */
export function runCli(tool: string, usage: string, main: () => Promise<number>): void {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      if (error instanceof HelpRequested) {
        console.log(usage);
        process.exit(0);
      }
      if (error instanceof UsageError) {
        console.error(`${tool}: ${error.message}\n${usage}`);
        process.exit(2);
      }
      const message = error instanceof Error ? error.message : String(error);
      console.error(`${tool}: ${message}`);
      if (process.env.LOADTEST_DEBUG) console.error(error);
      process.exit(1);
    },
  );
}
