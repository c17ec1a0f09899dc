import { INestApplicationContext } from '@nestjs/common';
import { createAppContext } from '../app.factory';
import { AsyncSeckillState } from '../order/async/async-seckill.state';
import { RebuildFromMysql } from './reconciler';

export const openToolContext = createAppContext;

/** The service's own rebuild (under its rebuild lock, counting pending entries). */
export function rebuilderOf(app: INestApplicationContext): RebuildFromMysql {
  const state = app.get(AsyncSeckillState);
  return (voucherId) => state.rebuildFromMysql(voucherId);
}
