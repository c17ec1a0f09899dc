import { AfterQueryEvent, EntitySubscriberInterface, EventSubscriber } from 'typeorm';

/**
 * A query that hit the query timeout leaves its mysql2 connection waiting for an
 * answer that may never come, and the ROLLBACK would queue behind it for ever.
 * Destroying the connection lets the request fail at once (503) and the pool
 * open a fresh one.
 */
@EventSubscriber()
export class DropTimedOutConnectionSubscriber implements EntitySubscriberInterface {
  afterQuery(event: AfterQueryEvent): void {
    if ((event.error as { code?: string } | undefined)?.code !== 'PROTOCOL_SEQUENCE_TIMEOUT')
      return;
    (
      event.queryRunner as unknown as { databaseConnection?: { destroy(): void } }
    ).databaseConnection?.destroy();
  }
}
