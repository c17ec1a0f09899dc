import { SingleBar } from 'cli-progress';

export { intFlag, logPhase, parseFlags, runCli, UsageError } from '../src/common/cli';

/** A progress bar on stderr; silent when stderr is not a terminal (CI, pipes). */
export function progressBar(unit = 'answers'): {
  update: (done: number, total: number) => void;
  stop: () => void;
} {
  const bar = new SingleBar({
    format: `  {bar} {percentage}% | {value}/{total} ${unit} | {duration}s`,
    stream: process.stderr,
    hideCursor: true,
  });
  let started = false;
  return {
    update: (done, total) => {
      if (!started) bar.start(total, 0);
      started = true;
      bar.setTotal(total);
      bar.update(done);
    },
    stop: () => {
      if (started) bar.stop();
      started = false;
    },
  };
}
