import { BODY_LIMIT_BYTES } from '../src/app.factory';
import { VoucherService } from '../src/voucher/voucher.service';
import {
  ADMIN_TOKEN,
  createSeckillVoucher,
  loginShopper,
  seckillVoucherBody,
  startTestApp,
  TestApp,
} from './support/test-app';

describe('voucher (e2e)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  const countVouchers = async () => {
    const [row] = await t.db.query(
      'SELECT (SELECT COUNT(*) FROM tb_voucher) AS vouchers, (SELECT COUNT(*) FROM tb_seckill_voucher) AS seckills',
    );
    return { vouchers: Number(row.vouchers), seckills: Number(row.seckills) };
  };

  describe('POST /voucher/seckill', () => {
    it('creates the voucher and its seckill row, answering 201 with the id as a number', async () => {
      const body = seckillVoucherBody({ shopId: 7, stock: 42, subTitle: 'sub', rules: 'one each' });
      const res = await t.api
        .post('/voucher/seckill')
        .set('x-admin-token', ADMIN_TOKEN)
        .send(body)
        .expect(201);

      expect(res.body).toEqual({ success: true, data: expect.any(Number) });
      const [row] = await t.db.query(
        `SELECT v.shop_id, v.title, v.type, s.stock, s.begin_time, s.end_time
           FROM tb_voucher v JOIN tb_seckill_voucher s ON s.voucher_id = v.id WHERE v.id = ?`,
        [res.body.data],
      );
      expect(Number(row.shop_id)).toBe(7);
      expect(row.type).toBe(1);
      expect(row.stock).toBe(42);
      expect(new Date(row.begin_time).toISOString()).toBe(body.beginTime);
      expect(new Date(row.end_time).toISOString()).toBe(body.endTime);
    });

    it.each<[string, () => Record<string, string> | Promise<Record<string, string>>]>([
      ['no admin token', () => ({})],
      ['a wrong admin token', () => ({ 'x-admin-token': 'not-the-admin-token' })],
      ['an empty admin token', () => ({ 'x-admin-token': '' })],
      [
        "a shopper's token only",
        async () => ({ authorization: `Bearer ${await loginShopper(t.api)}` }),
      ],
    ])('answers 403 FORBIDDEN with %s and creates nothing', async (_case, headers) => {
      const before = await countVouchers();
      const res = await t.api
        .post('/voucher/seckill')
        .set(await headers())
        .send(seckillVoucherBody())
        .expect(403);
      expect(res.body).toEqual({ success: false, code: 'FORBIDDEN', errorMsg: 'admin only' });
      expect(await countVouchers()).toEqual(before);
    });

    it.each([
      ['negative stock', { stock: -1 }, 'stock'],
      ['fractional stock', { stock: 1.5 }, 'stock'],
      ['stock as a string', { stock: '10' }, 'stock'],
      [
        'endTime equal to beginTime',
        { endTime: '2030-01-01T00:00:00.000Z', beginTime: '2030-01-01T00:00:00.000Z' },
        'endTime',
      ],
      [
        'endTime before beginTime',
        { beginTime: '2030-01-02T00:00:00Z', endTime: '2030-01-01T00:00:00Z' },
        'endTime',
      ],
      ['a time that is not ISO-8601', { beginTime: 'tomorrow' }, 'beginTime'],
      ['a negative price', { payValue: -5 }, 'payValue'],
      ['an empty title', { title: '' }, 'title'],
      ['a zero shopId', { shopId: 0 }, 'shopId'],
      ['an unknown field', { userId: 3 }, 'userId'],
      ['a missing title', { title: undefined }, 'title'],
    ])('refuses %s with 400 naming the field, creating nothing', async (_case, patch, field) => {
      const before = await countVouchers();
      const res = await t.api
        .post('/voucher/seckill')
        .set('x-admin-token', ADMIN_TOKEN)
        .send({ ...seckillVoucherBody(), ...patch })
        .expect(400);
      expect(res.body).toEqual({
        success: false,
        code: 'VALIDATION_FAILED',
        errorMsg: expect.stringContaining(field),
      });
      expect(await countVouchers()).toEqual(before);
    });

    it('refuses malformed JSON with 400', async () => {
      const res = await t.api
        .post('/voucher/seckill')
        .set('x-admin-token', ADMIN_TOKEN)
        .set('content-type', 'application/json')
        .send('{"shopId": 1,')
        .expect(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      expect(res.body.errorMsg).toMatch(/JSON/);
    });

    it('refuses a body that is not JSON with 415', async () => {
      const res = await t.api
        .post('/voucher/seckill')
        .set('x-admin-token', ADMIN_TOKEN)
        .set('content-type', 'text/plain')
        .send('shopId=1')
        .expect(415);
      expect(res.body).toEqual({
        success: false,
        code: 'UNSUPPORTED_MEDIA_TYPE',
        errorMsg: 'request body must be application/json',
      });
    });

    it('refuses a body over the limit with 413', async () => {
      const before = await countVouchers();
      const res = await t.api
        .post('/voucher/seckill')
        .set('x-admin-token', ADMIN_TOKEN)
        .send(seckillVoucherBody({ rules: 'x'.repeat(BODY_LIMIT_BYTES) }))
        .expect(413);
      expect(res.body.code).toBe('PAYLOAD_TOO_LARGE');
      expect(await countVouchers()).toEqual(before);
    });
  });

  describe('GET /voucher/list/:shopId', () => {
    it("lists the shop's vouchers with stock and window, and a total", async () => {
      const shopId = 1000 + Math.floor(Math.random() * 1e6);
      const body = seckillVoucherBody({ shopId, stock: 5 });
      const first = await createSeckillVoucher(t.api, body);
      const second = await createSeckillVoucher(t.api, { ...body, stock: 0 });

      const res = await t.api.get(`/voucher/list/${shopId}`).expect(200);

      expect(res.body.success).toBe(true);
      expect(res.body.total).toBe(2);
      expect(res.body.data).toEqual([
        expect.objectContaining({
          id: first,
          shopId,
          title: body.title,
          payValue: body.payValue,
          actualValue: body.actualValue,
          type: 1,
          stock: 5,
          beginTime: body.beginTime,
          endTime: body.endTime,
        }),
        expect.objectContaining({ id: second, stock: 0 }),
      ]);
    });

    it('answers an empty list for a shop without vouchers', async () => {
      const res = await t.api.get('/voucher/list/999999999').expect(200);
      expect(res.body).toEqual({ success: true, data: [], total: 0 });
    });

    it.each(['0', '-1', 'abc', '1.5'])('refuses shopId %s with 400', async (shopId) => {
      const res = await t.api.get(`/voucher/list/${shopId}`).expect(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
    });
  });

  describe('GET /voucher/seckill/:id', () => {
    it('shows an admin the stock left', async () => {
      const id = await createSeckillVoucher(t.api, { stock: 3 });
      const res = await t.api
        .get(`/voucher/seckill/${id}`)
        .set('x-admin-token', ADMIN_TOKEN)
        .expect(200);
      expect(res.body.data).toEqual(expect.objectContaining({ id, stock: 3 }));
    });

    it('answers 404 VOUCHER_NOT_FOUND for an unknown id and 403 without the admin token', async () => {
      const missing = await t.api
        .get('/voucher/seckill/987654321')
        .set('x-admin-token', ADMIN_TOKEN)
        .expect(404);
      expect(missing.body).toEqual({
        success: false,
        code: 'VOUCHER_NOT_FOUND',
        errorMsg: 'voucher not found',
      });
      await t.api.get('/voucher/seckill/1').expect(403);
    });
  });

  it('answers a bug with 500 INTERNAL_ERROR, no stack and nothing of the error in the body', async () => {
    const bug = new Error('secret detail of a bug');
    const spy = jest.spyOn(t.app.get(VoucherService), 'listShopVouchers').mockRejectedValue(bug);
    try {
      const res = await t.api.get('/voucher/list/1').expect(500);
      expect(res.body).toEqual({
        success: false,
        code: 'INTERNAL_ERROR',
        errorMsg: 'internal error',
      });
      expect(res.text).not.toContain('secret detail');
      expect(res.text).not.toContain('.ts:');
    } finally {
      spy.mockRestore();
    }
  });

  it('answers an unknown route with 404 in the envelope', async () => {
    const res = await t.api.get('/no/such/route').expect(404);
    expect(res.body).toEqual({ success: false, code: 'NOT_FOUND', errorMsg: expect.any(String) });
  });

  it('serves the OpenAPI UI at /docs and its JSON at /docs-json', async () => {
    await t.api.get('/docs').expect(200).expect('content-type', /html/);
    const json = await t.api.get('/docs-json').expect(200);
    expect(Object.keys(json.body.paths)).toEqual(
      expect.arrayContaining([
        '/voucher-order/seckill/{id}',
        '/voucher/seckill',
        '/user/login',
        '/health',
      ]),
    );
  });
});
