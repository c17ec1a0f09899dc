-- The seckill schema. This file is the single source of truth: the service applies
-- it at start-up and records it in schema_history (see src/database/migrate.ts).
-- Table names follow hm-dianping. Times are UTC.

CREATE TABLE IF NOT EXISTS tb_user (
  id          BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  phone       VARCHAR(11)     NOT NULL,
  password    VARCHAR(128)    NOT NULL DEFAULT '',
  nick_name   VARCHAR(32)     NOT NULL DEFAULT '',
  icon        VARCHAR(255)    NOT NULL DEFAULT '',
  create_time DATETIME(3)     NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  update_time DATETIME(3)     NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  PRIMARY KEY (id),
  UNIQUE KEY uk_user_phone (phone)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

CREATE TABLE IF NOT EXISTS tb_voucher (
  id           BIGINT UNSIGNED  NOT NULL AUTO_INCREMENT,
  shop_id      BIGINT UNSIGNED  NOT NULL,
  title        VARCHAR(255)     NOT NULL,
  sub_title    VARCHAR(255)     NULL,
  rules        VARCHAR(1024)    NULL,
  pay_value    BIGINT UNSIGNED  NOT NULL COMMENT 'cents',
  actual_value BIGINT UNSIGNED  NOT NULL COMMENT 'cents',
  type         TINYINT UNSIGNED NOT NULL DEFAULT 0 COMMENT '0 normal, 1 seckill',
  status       TINYINT UNSIGNED NOT NULL DEFAULT 1 COMMENT '1 on shelf, 2 off shelf, 3 expired',
  create_time  DATETIME(3)      NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  update_time  DATETIME(3)      NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  PRIMARY KEY (id),
  KEY idx_voucher_shop (shop_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

-- stock is UNSIGNED and CHECKed: even a buggy UPDATE cannot take it below zero.
CREATE TABLE IF NOT EXISTS tb_seckill_voucher (
  voucher_id  BIGINT UNSIGNED NOT NULL,
  stock       INT UNSIGNED    NOT NULL,
  begin_time  DATETIME(3)     NOT NULL,
  end_time    DATETIME(3)     NOT NULL,
  create_time DATETIME(3)     NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  update_time DATETIME(3)     NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  PRIMARY KEY (voucher_id),
  CONSTRAINT ck_seckill_stock_not_negative CHECK (stock >= 0),
  CONSTRAINT ck_seckill_window CHECK (end_time > begin_time),
  CONSTRAINT fk_seckill_voucher FOREIGN KEY (voucher_id) REFERENCES tb_voucher (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

-- id comes from the Redis-backed generator (timestamp << 32 | daily sequence).
-- UNIQUE (user_id, voucher_id) is what really enforces one order per user and
-- voucher: the per-user lock and the in-transaction check are only fast paths.
CREATE TABLE IF NOT EXISTS tb_voucher_order (
  id          BIGINT UNSIGNED  NOT NULL,
  user_id     BIGINT UNSIGNED  NOT NULL,
  voucher_id  BIGINT UNSIGNED  NOT NULL,
  pay_type    TINYINT UNSIGNED NOT NULL DEFAULT 1 COMMENT '1 balance, 2 alipay, 3 wechat',
  status      TINYINT UNSIGNED NOT NULL DEFAULT 1 COMMENT '1 unpaid, 2 paid, 3 used, 4 cancelled, 5 refunding, 6 refunded',
  create_time DATETIME(3)      NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  pay_time    DATETIME(3)      NULL,
  use_time    DATETIME(3)      NULL,
  refund_time DATETIME(3)      NULL,
  update_time DATETIME(3)      NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  PRIMARY KEY (id),
  UNIQUE KEY uk_order_user_voucher (user_id, voucher_id),
  KEY idx_order_voucher (voucher_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;
