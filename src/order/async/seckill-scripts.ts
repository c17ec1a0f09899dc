import { NEXT_ORDER_ID_LUA } from '../order-id.generator';

/**
 * The Lua scripts of the async seckill. Each runs atomically in Redis, so no
 * other command (another shopper's admission, a writer's dead-lettering) can
 * interleave between its checks and its writes.
 */

/**
 * Admission. KEYS: stock, buyers, window, stream, the day's order id sequence,
 * all of the voucher's shard (one hash tag: one slot on a Redis Cluster).
 * ARGV: userId, voucherId, state TTL (s), order-state key prefix (the shard's),
 * sequence key TTL (s), seconds since the id epoch (the id's high bits, on the
 * caller's clock as OrderIdGenerator draws them), the shard.
 * Answers one of: missing (keys not loaded: rebuild first, admit nothing on a
 * guess), not-started, ended (on Redis's own clock, TIME), already-purchased,
 * sold-out, or {accepted, orderId}. Accepted means: an order id drawn, one unit
 * taken, the user in the buyer set, the order in the stream, its state
 * `pending`, all or nothing. The id is drawn here, not by a call of its own
 * before the script, and only for an order that is admitted: one round trip and
 * one client call less per order. The order-state key is named after that id,
 * so it cannot be passed in KEYS: the script builds it from the prefix, which
 * carries the shard's hash tag, so the key is in the slot of the declared ones.
 */
const ADMIT_BODY = `
local window = redis.call('HMGET', KEYS[3], 'begin', 'end')
local stock = redis.call('GET', KEYS[1])
if not window[1] or not window[2] or not stock then return 'missing' end
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
if now < tonumber(window[1]) then return 'not-started' end
if now >= tonumber(window[2]) then return 'ended' end
if redis.call('SISMEMBER', KEYS[2], ARGV[1]) == 1 then return 'already-purchased' end
if tonumber(stock) <= 0 then return 'sold-out' end
local orderId = next_order_id(KEYS[5], ARGV[5], ARGV[6], ARGV[7])
if type(orderId) == 'table' then return orderId end
redis.call('DECR', KEYS[1])
redis.call('SADD', KEYS[2], ARGV[1])
local id = redis.call('XADD', KEYS[4], '*', 'orderId', orderId, 'userId', ARGV[1], 'voucherId', ARGV[2])
-- The entry id's time: the writer stores it as create_time, so both answers agree.
local acceptedAt = string.match(id, '^(%d+)')
local state = ARGV[4] .. orderId
redis.call('HSET', state, 'userId', ARGV[1], 'voucherId', ARGV[2], 'state', 'pending', 'acceptedAt', acceptedAt)
redis.call('EXPIRE', state, ARGV[3])
return {'accepted', orderId}
`;

export const ADMIT_SCRIPT = `${NEXT_ORDER_ID_LUA}${ADMIT_BODY}`;

/**
 * The per-user order lock, taken in the same call as the buyer check, where the
 * locks live on this very Redis (one server: REDIS_URL, no REDIS_LOCK_URLS, no
 * Cluster; see LockService.scriptedAttempt). KEYS: buyers, lock. ARGV: userId,
 * the lock's value (the holder's own), lease (ms).
 * Answers already-purchased (a known buyer: no lock taken, as the sync path's
 * SISMEMBER before tryLock), busy (the key is held: someone else's attempt), or
 * locked (SET NX PX, as SingleRedisRedlock's acquire). One round trip for two.
 */
export const LOCK_UNLESS_BUYER_SCRIPT = `
if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 1 then return 'already-purchased' end
if redis.call('SET', KEYS[2], ARGV[2], 'NX', 'PX', ARGV[3]) then return 'locked' end
return 'busy'
`;

/**
 * ADMIT_SCRIPT, then the release of the order lock LOCK_UNLESS_BUYER_SCRIPT took:
 * KEYS and ARGV as ADMIT_SCRIPT's, plus KEYS[6] the lock and ARGV[8] its value.
 * The admission is the seckill's commit; the lock goes right after it, in the same
 * atomic step, and only if it still holds the holder's value (owner-safe, the
 * compare-and-delete of every release). Not after `missing`: the caller rebuilds
 * the keys and admits again, still holding the lock; not after an error reply
 * (the caller releases it as any lock).
 */
export const ADMIT_AND_RELEASE_SCRIPT = `${NEXT_ORDER_ID_LUA}
local function admit()${ADMIT_BODY}end
local answer = admit()
if answer == 'missing' or (type(answer) == 'table' and answer.err) then return answer end
if redis.call('GET', KEYS[6]) == ARGV[8] then redis.call('DEL', KEYS[6]) end
return answer
`;

/**
 * Dead-lettering of one entry. KEYS: stream, dead letters, stock, buyers, order
 * state, all of one shard (the legacy stream's entries: one Redis, no slots).
 * ARGV: group, streamId, orderId, userId, voucherId, error, deliveries,
 * give stock back (1/0), take the user out of the buyers (1/0), state TTL (s).
 * Acknowledges the entry first: only a writer that still finds it pending moves
 * it (two writers that both gave up on it move it once). The unit goes back only
 * while the stock key exists; without it, a rebuild from MySQL counts right.
 * Answers 1 when moved, 0 when someone else had acknowledged it.
 */
export const DEAD_LETTER_SCRIPT = `
if redis.call('XACK', KEYS[1], ARGV[1], ARGV[2]) == 0 then return 0 end
redis.call('XADD', KEYS[2], '*', 'orderId', ARGV[3], 'userId', ARGV[4], 'voucherId', ARGV[5],
  'error', ARGV[6], 'deliveries', ARGV[7], 'streamId', ARGV[2])
if ARGV[8] == '1' and redis.call('EXISTS', KEYS[3]) == 1 then redis.call('INCR', KEYS[3]) end
if ARGV[9] == '1' then redis.call('SREM', KEYS[4], ARGV[4]) end
redis.call('HSET', KEYS[5], 'userId', ARGV[4], 'voucherId', ARGV[5], 'state', 'failed', 'error', ARGV[6])
redis.call('EXPIRE', KEYS[5], ARGV[10])
return 1
`;

/**
 * A stock raise (PATCH /voucher/seckill/:id, after MySQL committed it).
 * KEYS: stock, window. ARGV: units. Raises only a loaded voucher and answers
 * the new stock; -1 when not loaded: the rebuild from MySQL counts the raise.
 */
export const RAISE_STOCK_SCRIPT = `
if redis.call('EXISTS', KEYS[2]) == 0 or redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
return redis.call('INCRBY', KEYS[1], ARGV[1])
`;

/**
 * Sync mode, after MySQL committed an order (or said the user has one).
 * KEYS: buyers, window. ARGV: userId. The user joins the voucher's buyer set,
 * which sync mode reads before the lock (a known buyer costs no lock and no
 * MySQL). The window key goes: sync orders do not take Redis stock, so keys an
 * async run loaded are stale now, and async mode must rebuild them from MySQL
 * (a rebuild replaces the whole set) before it admits anything again.
 */
export const SYNC_BUYER_SCRIPT = `
redis.call('SADD', KEYS[1], ARGV[1])
redis.call('DEL', KEYS[2])
return 1
`;
