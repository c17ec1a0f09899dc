import { INestApplicationContext } from '@nestjs/common';
import { createAppContext } from '../app.factory';
import { AsyncSeckillState } from '../order/async/async-seckill.state';
import { RebuildFromMysql } from './reconciler';
import { UnacknowledgedEntries } from './seckill-snapshot.reader';

/** The application without HTTP server and without order writer (see createAppContext). */
export const openToolContext = createAppContext;

/** The service's own rebuild: under its rebuild lock, counting pending entries. */
export function rebuilderOf(app: INestApplicationContext): RebuildFromMysql {
  const state = app.get(AsyncSeckillState);
  return async (voucherId) => {
    const rebuilt = await state.rebuildFromMysql(voucherId);
    if (!rebuilt)
      throw new Error(`voucher ${voucherId} is no longer in MySQL: its keys were removed`);
    return rebuilt;
  };
}

/** The service's reading of the order stream: the entries its rebuild counts as pending. */
export function streamOf(app: INestApplicationContext): UnacknowledgedEntries {
  return app.get(AsyncSeckillState);
}
