import {
  compareSeckill,
  Drift,
  DriftKind,
  MysqlSeckillSide,
  persistentDrift,
  RedisSeckillSide,
  StreamOrder,
} from './seckill-drift';

const VOUCHER = 7;

/** A voucher sold to users 1, 2 and 3 (orders o1..o3), 10 left in MySQL. */
function mysqlSide(overrides: Partial<MysqlSeckillSide> = {}): MysqlSeckillSide {
  return {
    voucherId: VOUCHER,
    stock: 10,
    orders: [
      { id: 'o1', userId: 1 },
      { id: 'o2', userId: 2 },
      { id: 'o3', userId: 3 },
    ],
    ...overrides,
  };
}

function redisSide(overrides: Partial<RedisSeckillSide> = {}): RedisSeckillSide {
  return {
    voucherId: VOUCHER,
    stock: 10,
    window: true,
    buyers: [1, 2, 3],
    pending: [],
    ...overrides,
  };
}

const entry = (orderId: string, userId: number): StreamOrder => ({
  streamId: `1-${orderId}`,
  orderId,
  userId,
  voucherId: VOUCHER,
});

const kinds = (drift: Drift[]): DriftKind[] => drift.map((d) => d.kind);
const find = (drift: Drift[], kind: DriftKind) => drift.find((d) => d.kind === kind)!;

describe(compareSeckill.name, () => {
  it('finds nothing when Redis mirrors MySQL', () => {
    expect(compareSeckill(redisSide(), mysqlSide())).toEqual([]);
  });

  it('counts orders admitted but not yet written against the MySQL stock', () => {
    const sut = compareSeckill(
      redisSide({ stock: 8, buyers: [1, 2, 3, 4, 5], pending: [entry('o4', 4), entry('o5', 5)] }),
      mysqlSide(),
    );
    expect(sut).toEqual([]);
  });

  it('counts an entry already committed but not yet acknowledged once', () => {
    const sut = compareSeckill(redisSide({ stock: 10, pending: [entry('o3', 3)] }), mysqlSide());
    expect(sut).toEqual([]);
  });

  it('reports a tampered stock key with the expected figure', () => {
    const sut = compareSeckill(
      redisSide({ stock: 25, pending: [entry('o4', 4)], buyers: [1, 2, 3, 4] }),
      mysqlSide(),
    );
    expect(kinds(sut)).toEqual(['stockMismatch']);
    expect(find(sut, 'stockMismatch')).toMatchObject({
      ids: ['7'],
      idsAre: 'voucher',
      detail: 'Redis stock 25, expected 9 (MySQL stock 10 - 1 pending not yet written)',
    });
  });

  it('reports a missing stock key alone, whatever else differs', () => {
    const sut = compareSeckill(redisSide({ stock: null, buyers: [] }), mysqlSide());
    expect(kinds(sut)).toEqual(['keysMissing']);
    expect(sut[0]).toMatchObject({ ids: ['7'], detail: expect.stringMatching(/^no stock key/) });
  });

  it('reports a missing window key: the other keys are not used without it', () => {
    const sut = compareSeckill(redisSide({ window: false }), mysqlSide());
    expect(kinds(sut)).toEqual(['keysMissing']);
    expect(sut[0].detail).toMatch(/^no window key/);
  });

  it('reports negative stock', () => {
    const sut = compareSeckill(redisSide({ stock: -1 }), mysqlSide({ stock: -1 }));
    expect(kinds(sut)).toEqual(['negativeStock']);
  });

  it('names a buyer who has no order and nothing pending', () => {
    const sut = compareSeckill(redisSide({ buyers: [1, 2, 3, 12, 9] }), mysqlSide());
    expect(kinds(sut)).toEqual(['buyerWithoutOrder']);
    expect(find(sut, 'buyerWithoutOrder')).toMatchObject({ ids: ['9', '12'], idsAre: 'users' });
  });

  it('names an order whose user is missing from the buyer set (a second purchase would pass Redis)', () => {
    const sut = compareSeckill(redisSide({ buyers: [1, 3] }), mysqlSide());
    expect(kinds(sut)).toEqual(['orderWithoutBuyer']);
    expect(find(sut, 'orderWithoutBuyer')).toMatchObject({ ids: ['o2'], idsAre: 'orders' });
    expect(find(sut, 'orderWithoutBuyer').detail).toContain('o2 (user 2)');
  });

  it('names a pending order whose user is missing from the buyer set', () => {
    const sut = compareSeckill(redisSide({ stock: 9, pending: [entry('o4', 4)] }), mysqlSide());
    expect(kinds(sut)).toEqual(['pendingWithoutBuyer']);
    expect(find(sut, 'pendingWithoutBuyer').ids).toEqual(['o4']);
  });

  it('names pending orders that the UNIQUE key will refuse', () => {
    const sut = compareSeckill(
      redisSide({
        stock: 7,
        buyers: [1, 2, 3, 4],
        pending: [entry('o9', 1), entry('o4', 4), entry('o5', 4)],
      }),
      mysqlSide(),
    );
    expect(kinds(sut)).toEqual(['pendingConflict']);
    expect(find(sut, 'pendingConflict').ids).toEqual(['o9', 'o4', 'o5']);
    expect(find(sut, 'pendingConflict').detail).toContain('o9 (user 1, who also has o1)');
  });

  it('lists ten ids in the detail and all of them in ids', () => {
    const buyers = Array.from({ length: 25 }, (_, i) => 100 + i);
    const sut = compareSeckill(redisSide({ buyers: [1, 2, 3, ...buyers] }), mysqlSide());
    const stray = find(sut, 'buyerWithoutOrder');
    expect(stray.ids).toHaveLength(25);
    expect(stray.detail).toMatch(/^25 user\(s\): 100, .*, 109 and 15 more$/);
  });
});

describe(persistentDrift.name, () => {
  const first = compareSeckill(redisSide({ stock: 4, buyers: [1, 2, 3, 8, 9] }), mysqlSide());

  it('keeps what both looks found', () => {
    expect(persistentDrift(first, first)).toEqual(first);
  });

  it('drops what the second look no longer sees, and what only it sees', () => {
    const second = compareSeckill(redisSide({ buyers: [1, 2, 3], stock: 10 }), mysqlSide());
    expect(persistentDrift(first, second)).toEqual([]);
    expect(persistentDrift([], first)).toEqual([]);
  });

  it('narrows id lists to the ids both looks name', () => {
    const second = compareSeckill(redisSide({ stock: 4, buyers: [1, 2, 3, 9, 11] }), mysqlSide());
    const sut = persistentDrift(first, second);
    expect(kinds(sut)).toEqual(['stockMismatch', 'buyerWithoutOrder']);
    expect(find(sut, 'buyerWithoutOrder').ids).toEqual(['9']);
  });
});
