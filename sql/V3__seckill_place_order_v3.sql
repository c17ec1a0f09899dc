-- The seckill transaction, version 3: seckill_place_order_v3 (OrderRepository calls it).
--
-- Same steps and guards as V2's seckill_place_order, plus:
--   * the sale window is checked by the database, on its own clock in UTC
--     (UTC_TIMESTAMP, whatever the session's time_zone), in the same UPDATE that
--     takes the unit: an instance whose clock is off cannot sell outside the
--     window -> 'not-started' / 'ended' (nothing changed);
--   * a duplicate key on PRIMARY (a generated order id that already exists) is
--     'id-collision', not 'already-purchased': only uk_order_user_voucher means
--     the user already has the voucher. MySQL 8 names the key
--     'tb_voucher_order.uk_order_user_voucher', MariaDB 'uk_order_user_voucher';
--   * it marks its progress in two session variables, named by the order id:
--     @seckill_commit_started just before COMMIT, @seckill_committed just after.
--     When a call is interrupted (the service kills it at its deadline), the
--     service reads them back on the same connection: never started committing
--     means certainly no order, even while a table lock stops any lookup;
--   * create_time is written as UTC_TIMESTAMP(3), not left to the session zone;
--   * SQL SECURITY INVOKER: it runs with the rights of the caller, so the
--     service's account needs EXECUTE and its table rights, nothing of the definer.
--
-- Steps:
--   1. the user's existing order                         -> 'already-purchased'
--   2. stock = stock - 1 WHERE stock > 0 AND in window; 0 rows -> 'not-started' /
--      'ended' / 'sold-out' (read back to tell which; nothing changed)
--   3. INSERT; duplicate uk_order_user_voucher (1062)    -> 'already-purchased'
--              duplicate PRIMARY (1062)                  -> 'id-collision'
--      (both rolled back, stock restored)
--   4. COMMIT                                            -> 'created'
-- Any other error rolls back and is raised (a lock wait timeout, 1205, included:
-- the session's innodb_lock_wait_timeout / lock_wait_timeout bound the waits).
--
-- A new name instead of replacing seckill_place_order: MySQL 8 has no CREATE OR
-- REPLACE PROCEDURE, and DROP + CREATE leaves a moment in which instances still
-- running the previous release find no procedure. Those keep calling
-- seckill_place_order (V2, left in place, now also SQL SECURITY INVOKER); this
-- release calls seckill_place_order_v3. The old one can be dropped by a later
-- file once no instance of the previous release runs.

ALTER PROCEDURE seckill_place_order SQL SECURITY INVOKER;

DROP PROCEDURE IF EXISTS seckill_place_order_v3;

CREATE PROCEDURE seckill_place_order_v3(
  IN p_order_id   BIGINT UNSIGNED,
  IN p_user_id    BIGINT UNSIGNED,
  IN p_voucher_id BIGINT UNSIGNED
)
MODIFIES SQL DATA
SQL SECURITY INVOKER
BEGIN
  DECLARE v_orders INT;
  DECLARE v_now DATETIME(3);
  DECLARE v_begin DATETIME(3);
  DECLARE v_end DATETIME(3);
  DECLARE v_key TEXT;
  DECLARE EXIT HANDLER FOR 1062
  BEGIN
    GET DIAGNOSTICS CONDITION 1 v_key = MESSAGE_TEXT;
    ROLLBACK;
    IF v_key LIKE '%uk_order_user_voucher''' THEN
      SELECT 'already-purchased' AS outcome;
    ELSE
      SELECT 'id-collision' AS outcome;
    END IF;
  END;
  DECLARE EXIT HANDLER FOR SQLEXCEPTION
  BEGIN
    ROLLBACK;
    RESIGNAL;
  END;

  START TRANSACTION;
  -- SELECT ... INTO is a plain consistent read. Written as IF EXISTS (SELECT ...),
  -- InnoDB would take shared next-key locks on the unique index, and two buyers'
  -- INSERTs would deadlock on each other's gap locks.
  SELECT COUNT(*) INTO v_orders
    FROM tb_voucher_order WHERE user_id = p_user_id AND voucher_id = p_voucher_id;
  IF v_orders > 0 THEN
    ROLLBACK;
    SELECT 'already-purchased' AS outcome;
  ELSE
    SET v_now = UTC_TIMESTAMP(3);
    UPDATE tb_seckill_voucher SET stock = stock - 1
     WHERE voucher_id = p_voucher_id AND stock > 0 AND begin_time <= v_now AND end_time > v_now;
    IF ROW_COUNT() = 0 THEN
      SELECT begin_time, end_time INTO v_begin, v_end
        FROM tb_seckill_voucher WHERE voucher_id = p_voucher_id;
      ROLLBACK;
      IF v_now < v_begin THEN
        SELECT 'not-started' AS outcome;
      ELSEIF v_now >= v_end THEN
        SELECT 'ended' AS outcome;
      ELSE
        SELECT 'sold-out' AS outcome;
      END IF;
    ELSE
      INSERT INTO tb_voucher_order (id, user_id, voucher_id, create_time)
        VALUES (p_order_id, p_user_id, p_voucher_id, v_now);
      SET @seckill_commit_started = CAST(p_order_id AS CHAR);
      COMMIT;
      SET @seckill_committed = CAST(p_order_id AS CHAR);
      SELECT 'created' AS outcome;
    END IF;
  END IF;
END;
