import { createHash } from 'node:crypto';
import type { AsyncEvent, DestinationCondition, NewAsyncEvent } from './async-event.js';
import { MAX_ASYNC_EVENT_BYTES, MAX_DESTINATION_DEPTH } from './async-limits.js';
import { fitRecord, type DestinationRecord } from './destination-record.js';
import { AsyncQueueError, AsyncQueueErrorCode, isAsyncQueueError } from './errors.js';
import type { EventStore } from './event-store.js';
import { parseFunctionRef } from '../registry/function-name.js';

/**
 * Hands a destination record to a function destination. Rejects when it cannot (unknown function,
 * queue full, loop guard); the dispatcher then dead-letters a failure record so nothing is lost.
 */
export type DeliverToFunction = (arn: string, record: DestinationRecord, source: AsyncEvent) => Promise<void>;

/** The async settings a destination function's own event gets (its event-invoke config). */
export type EventInvokeConfigLookup = (
  functionName: string,
  qualifier: string,
) => Pick<NewAsyncEvent, 'maxRetryAttempts' | 'maxEventAgeSec' | 'onSuccess' | 'onFailure'> | undefined;

/** Settings of {@link storeDestinationDelivery}. */
export interface StoreDestinationOptions {
  /** Region and account the ARNs must belong to (a function elsewhere is not found). */
  account: { region: string; accountId: string };
  /** Deepest destination chain allowed. @default 16 (MAX_DESTINATION_DEPTH) */
  maxDepth?: number;
  /** The destination function's own async settings; without it, Lambda's defaults. */
  configFor?: EventInvokeConfigLookup;
}

/**
 * The default function destination: the record becomes a new async event of the destination
 * function in the same durable queue, as Lambda invokes a function destination asynchronously with
 * the record as its event (lambda-facts 6).
 *
 * - Loop guard: each hop's event carries `destinationDepth`; past `maxDepth` the delivery is refused
 *   with `RECURSIVE_INVOCATION` (Lambda's recursive loop detection stops loops after ~16 hops).
 * - Idempotent: the new event's id is derived from the source event, its condition and its redrive
 *   count, so a source event re-run after a crash between "record enqueued" and "source finished"
 *   does not enqueue the record twice.
 * - Oversized records have their payloads dropped to fit the 1 MB async limit, as Lambda drops them.
 */
export function storeDestinationDelivery(store: EventStore, options: StoreDestinationOptions): DeliverToFunction {
  const maxDepth = options.maxDepth ?? MAX_DESTINATION_DEPTH;
  return async (arn, record, source) => {
    const ref = parseFunctionRef(arn, undefined, options.account);
    const qualifier = ref.qualifier ?? '$LATEST';
    const depth = source.destinationDepth + 1;
    if (depth > maxDepth) {
      throw new AsyncQueueError(
        AsyncQueueErrorCode.RecursiveInvocation,
        `destination chain of ${source.eventId} is ${depth} hops deep; the loop guard allows ${maxDepth}`,
        { eventId: source.eventId, field: 'destinationDepth', limit: maxDepth, observed: depth },
      );
    }
    const config = options.configFor?.(ref.name, qualifier);
    const event: NewAsyncEvent = {
      eventId: destinationEventId(source, record.requestContext.condition),
      functionName: ref.name,
      qualifier,
      payload: Buffer.from(JSON.stringify(fitRecord(record, MAX_ASYNC_EVENT_BYTES))),
      destinationDepth: depth,
      ...definedOnly(config ?? {}),
    };
    try {
      await store.enqueue(event);
    } catch (err) {
      // Already enqueued by an earlier run of the same finish: the record is delivered.
      if (isAsyncQueueError(err, AsyncQueueErrorCode.DuplicateEvent)) return;
      throw err;
    }
  };
}

/** A UUID-shaped id derived from the source event, its condition and its redrive count. */
export function destinationEventId(source: Pick<AsyncEvent, 'eventId' | 'redrives'>, condition: DestinationCondition): string {
  const h = createHash('sha256').update(`${source.eventId}\0${condition}\0${source.redrives}`).digest('hex');
  // Version nibble 5 and RFC 4122 variant bits, like a name-based UUID.
  const variant = ((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
