import { drainFigures, DrainSample } from './drain';

const look = (atMs: number, written: number): DrainSample => ({ atMs, written });

describe(drainFigures.name, () => {
  it('times the writes from the first look that saw one to the first that saw them all', () => {
    const sut = drainFigures(
      [look(0, 0), look(100, 0), look(200, 1000), look(700, 11_000), look(900, 11_000)],
      Array.from({ length: 11_000 }, (_, i) => i / 100),
    );
    // 10,000 orders between the looks at 200 and 700 ms; the last look only repeats.
    expect(sut.writesPerSecond).toBe(20_000);
  });

  it('finds the peak backlog from the acceptance times', () => {
    const sut = drainFigures(
      [look(10, 0), look(20, 5), look(30, 10)],
      [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
    );
    expect(sut.peakBacklog).toBe(10);
  });

  it('measures the tail: what was left at the last acceptance, and how long it took', () => {
    const sut = drainFigures(
      [look(0, 0), look(50, 40), look(100, 60), look(150, 100), look(160, 100)],
      [...Array.from({ length: 99 }, () => 10), 100],
    );
    expect(sut.tail).toEqual({ backlog: 40, ms: 50, writesPerSecond: 800 });
  });

  it('has no tail rate when everything was written by the last acceptance', () => {
    const sut = drainFigures([look(0, 0), look(10, 2), look(30, 2)], [5, 10]);
    expect(sut.tail).toEqual({ backlog: 0, ms: 0, writesPerSecond: undefined });
    expect(sut.peakBacklog).toBe(0);
  });

  it('copes with no looks and no acceptances', () => {
    expect(drainFigures([], [])).toEqual({
      writesPerSecond: 0,
      peakBacklog: 0,
      tail: { backlog: 0, ms: 0, writesPerSecond: undefined },
    });
  });
});
