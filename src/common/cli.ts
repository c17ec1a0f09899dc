import { parseArgs, ParseArgsConfig } from 'node:util';

/**
 * What every command-line tool shares (the load tests and the operator's
 * reconcile): flags, usage errors, exit codes. Node built-ins only, since the
 * operator tools ship in the production build without dev dependencies.
 */

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

type Flags = Record<string, { type: 'string' | 'boolean' }>;
type FlagValues<T extends Flags> = {
  [K in keyof T]?: T[K]['type'] extends 'boolean' ? boolean : string;
};

/** node's parseArgs with `--help`, and unknown flags or stray arguments as usage errors. */
export function parseFlags<T extends Flags>(options: T): FlagValues<T> {
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
  return values as FlagValues<T>;
}

export function logPhase(tool: string): (phase: string) => void {
  return (phase) => console.error(`[${tool} ${new Date().toISOString().slice(11, 19)}] ${phase}`);
}

export interface CliExitCodes {
  /** An error that ended the command before it had an answer (default 1). */
  error: number;
}

/** Runs a command's main and exits with its code: `error` (1) on an error, 2 on bad usage. */
export function runCli(
  tool: string,
  usage: string,
  main: () => Promise<number>,
  codes: CliExitCodes = { error: 1 },
): void {
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
      if (process.env.LOADTEST_DEBUG || process.env.CLI_DEBUG) console.error(error);
      process.exit(codes.error);
    },
  );
}
