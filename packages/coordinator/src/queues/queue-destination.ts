import type { AsyncEvent } from '../async/async-event.js';
import { fitRecord, type DestinationRecord } from '../async/destination-record.js';
import { destinationEventId } from '../async/destinations.js';
import { isQueueArn } from './queue-attributes.js';
import type { QueueService } from './queue-service.js';

/** Hands an async destination record to a queue; rejects when it cannot (the event is then dead-lettered). */
export type DeliverToQueue = (arn: string, record: DestinationRecord, source: AsyncEvent) => Promise<void>;

/** True for an ARN an async destination may name as a queue. */
export const isQueueDestination = isQueueArn;

/**
 * Async on-success / on-failure destinations that are SQS queue ARNs (lambda-facts 6): the record
 * becomes the message body (payloads dropped to fit the queue's MaximumMessageSize, as Lambda
 * drops them for small targets). The message id is derived from the source event, its condition
 * and redrive count, and the queue stores an id once, so an event finished twice after a crash
 * delivers its record once. A queue that does not exist fails the delivery.
 */
export function queueDestinationDelivery(queues: QueueService): DeliverToQueue {
  return async (arn, record, source) => {
    const q = queues.byArn(arn);
    if (!q) throw new Error(`destination queue ${arn} does not exist`);
    const body = JSON.stringify(fitRecord(record, q.settings.MaximumMessageSize));
    await queues.send(q, { body }, destinationEventId(source, record.requestContext.condition));
  };
}
