import { eventMessage, SnapshotTicker } from './sale-event-streams';

describe(SnapshotTicker.name, () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('sends a snapshot at once and every interval, and leaves no timer once stopped', async () => {
    const sent: unknown[] = [];
    let n = 0;
    const sut = new SnapshotTicker(
      () => Promise.resolve((n += 1)),
      (_event, data) => sent.push(data),
      1000,
    );

    sut.start();
    await jest.advanceTimersByTimeAsync(2500);
    sut.stop();
    await jest.advanceTimersByTimeAsync(5000);

    expect(sent).toEqual([1, 2, 3]);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('says unavailable when a read fails, and goes on', async () => {
    const sent: [string, unknown][] = [];
    let fail = true;
    const sut = new SnapshotTicker(
      () => (fail ? Promise.reject(new Error('mysql down')) : Promise.resolve('ok')),
      (event, data) => sent.push([event, data]),
      1000,
    );

    sut.start();
    await jest.advanceTimersByTimeAsync(0);
    fail = false;
    await jest.advanceTimersByTimeAsync(1000);
    sut.stop();

    expect(sent).toEqual([
      ['unavailable', expect.objectContaining({ code: 'SERVICE_UNAVAILABLE' })],
      ['snapshot', 'ok'],
    ]);
  });

  it('never reads twice at a time: a slow read skips ticks', async () => {
    let reads = 0;
    const sut = new SnapshotTicker(
      () => {
        reads += 1;
        return new Promise((resolve) => setTimeout(resolve, 3500));
      },
      () => undefined,
      1000,
    );

    sut.start();
    await jest.advanceTimersByTimeAsync(3000);
    sut.stop();
    await jest.advanceTimersByTimeAsync(1000);

    expect(reads).toBe(1);
  });
});

describe('eventMessage', () => {
  it('writes snapshots as unnamed events and failures as named ones', () => {
    expect(eventMessage('snapshot', { a: 1 })).toBe('data: {"a":1}\n\n');
    expect(eventMessage('unavailable', { code: 'X' })).toBe(
      'event: unavailable\ndata: {"code":"X"}\n\n',
    );
  });
});
