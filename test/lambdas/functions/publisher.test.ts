/** The publisher handler with EventBridge mocked: partial failures are retried or reported, never lost. */
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { draftInstance } from '../../../lambdas/domain/instance.js';
import { publishInOrder, type EventSink, type PutOutcome } from '../../../lambdas/domain/publisher.js';
import type { ChangeEvent, StoredChange } from '../../../lambdas/domain/events.js';
import { registerBody, resyncEventDetail } from '@service-registry/contracts';
import { instanceItemKey } from '../../../lambdas/table.js';
import { toStoredChange } from '../../../lambdas/adapters/stream-record.js';
import { lambdaContext } from '../../../local/lambda-context.js';
import { NO_TELEMETRY } from '../../../lambdas/domain/telemetry.js';
import { publisherHandler } from '../../../lambdas/functions/publisher.js';
import { publisherFromEnv } from '../../../lambdas/wiring/publisher.js';
import { MemoryCounters } from '../domain/memory-counters.js';

const eventbridge = mockClient(EventBridgeClient);
// The function as its entry builds it (configuration from the environment), reporting nowhere.
const { sink, logger } = publisherFromEnv({ EVENT_BUS_NAME: 'bus', TABLE_NAME: 'registry' });
/** The counters' store, in memory: its condition is the adapter's (tested against DynamoDB Local in dynamodb-store.test.ts). */
const counters = new MemoryCounters();
const handler = publisherHandler({ sink, logger, telemetry: NO_TELEMETRY, counters });

const T = Date.UTC(2026, 10, 24, 12);
function insert(id: string, seq: number, service = 'orders'): DynamoDBRecord {
  const instance = { ...draftInstance({ service, instanceId: id }, registerBody.parse({ address: '10.0.0.1', port: 80 }), 'o', T), revision: seq };
  return {
    eventName: 'INSERT',
    dynamodb: {
      Keys: marshall(instanceItemKey(service, id)) as any,
      NewImage: marshall({ ...instanceItemKey(service, id), ...instance, lastWrite: 'register' }, { removeUndefinedValues: true }) as any,
      SequenceNumber: String(seq).padStart(10, '0'),
      ApproximateCreationDateTime: T / 1000,
    },
  };
}
const batch = (n: number): DynamoDBStreamEvent => ({ Records: Array.from({ length: n }, (_, i) => insert(`i-${i}`, i + 1)) });
const ids = (input: any) => input.Entries.map((e: any) => JSON.parse(e.Detail).instanceId);

beforeEach(() => {
  eventbridge.reset();
  counters.reset();
});

describe('publisher handler', () => {
  it('publishes in order, at most 10 entries per PutEvents', async () => {
    eventbridge.on(PutEventsCommand).callsFake((input) => ({ FailedEntryCount: 0, Entries: input.Entries.map(() => ({ EventId: 'x' })) }));
    const result = await handler(batch(23), lambdaContext('Publisher', 1000));
    expect(result).toEqual({ batchItemFailures: [] });
    const calls = eventbridge.commandCalls(PutEventsCommand).map((c) => c.args[0].input);
    expect(calls.map((c) => c.Entries!.length)).toEqual([10, 10, 3]);
    expect(calls.flatMap(ids)).toEqual(Array.from({ length: 23 }, (_, i) => `i-${i}`));
    expect(calls[0]!.Entries![0]).toMatchObject({ EventBusName: 'bus', Source: 'service-registry', DetailType: 'Instance Registered' });
  });

  it('retries only the entries that were throttled, and succeeds', async () => {
    let call = 0;
    eventbridge.on(PutEventsCommand).callsFake((input) => {
      call++;
      return {
        FailedEntryCount: call === 1 ? 2 : 0,
        Entries: input.Entries.map((_: unknown, i: number) =>
          call === 1 && (i === 1 || i === 3) ? { ErrorCode: 'ThrottlingException', ErrorMessage: 'slow down' } : { EventId: 'x' },
        ),
      };
    });
    expect(await handler(batch(5), lambdaContext('Publisher', 1000))).toEqual({ batchItemFailures: [] });
    const calls = eventbridge.commandCalls(PutEventsCommand).map((c) => c.args[0].input);
    expect(calls.map(ids)).toEqual([
      ['i-0', 'i-1', 'i-2', 'i-3', 'i-4'],
      ['i-1', 'i-3'],
    ]);
  });

  it('reports the earliest record whose event could not be published, so the batch is retried from it', async () => {
    eventbridge.on(PutEventsCommand).callsFake((input) => ({
      FailedEntryCount: 1,
      Entries: input.Entries.map((e: any) =>
        JSON.parse(e.Detail).instanceId === 'i-12' ? { ErrorCode: 'AccessDeniedException', ErrorMessage: 'no' } : { EventId: 'x' },
      ),
    }));
    const result = await handler(batch(25), lambdaContext('Publisher', 1000));
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: '0000000013' }] });
    // The third chunk (records 21-25) is not sent: it will be retried after record 13, in order. The third call
    // is the resync announcement.
    const calls = eventbridge.commandCalls(PutEventsCommand).map((c) => c.args[0].input.Entries!);
    expect(calls).toHaveLength(3);
    expect(calls[2]!.map((e) => e.DetailType)).toEqual(['Registry Resync Required']);
  });

  it('announces Registry Resync Required naming the services whose events are held back when it stops', async () => {
    eventbridge.on(PutEventsCommand).callsFake((input) => ({
      FailedEntryCount: 1,
      Entries: input.Entries.map((e: any) =>
        JSON.parse(e.Detail).instanceId === 'b-1' ? { ErrorCode: 'AccessDeniedException', ErrorMessage: 'no' } : { EventId: 'x' },
      ),
    }));
    const records = [insert('a-1', 1, 'alpha'), insert('b-1', 2, 'beta'), insert('c-1', 3, 'gamma'), insert('b-2', 4, 'beta')];
    expect(await handler({ Records: records }, lambdaContext('Publisher', 1000))).toEqual({ batchItemFailures: [{ itemIdentifier: '0000000002' }] });
    const entries = eventbridge.commandCalls(PutEventsCommand).flatMap((c) => c.args[0].input.Entries!);
    const resync = entries.find((e) => e.DetailType === 'Registry Resync Required')!;
    // From the failed record on: beta (failed), gamma (sent, but will be sent again), beta again; alpha is done.
    expect(JSON.parse(resync.Detail!)).toMatchObject({ schemaVersion: '1.0', services: ['beta', 'gamma'], reason: 'publish-failed' });
    expect(resyncEventDetail.safeParse(JSON.parse(resync.Detail!)).success).toBe(true);
  });

  it("keeps each service's counters from the batch, one write per service, exact when the batch is delivered again", async () => {
    eventbridge.on(PutEventsCommand).callsFake((input) => ({ FailedEntryCount: 0, Entries: input.Entries.map(() => ({ EventId: 'x' })) }));
    const event = { Records: [insert('a-1', 1, 'alpha'), insert('b-1', 2, 'beta'), insert('a-2', 3, 'alpha')] };
    expect(await handler(event, lambdaContext('Publisher', 1000))).toEqual({ batchItemFailures: [] });
    expect(counters.writes).toBe(2);
    expect(await handler(event, lambdaContext('Publisher', 1000))).toEqual({ batchItemFailures: [] });
    expect([counters.of('alpha'), counters.of('beta')]).toEqual([
      { total: 2, healthy: 2 },
      { total: 1, healthy: 1 },
    ]);
  });

  it('reports the earliest record of a service whose counters could not be written, and counts it once on the retry', async () => {
    // GIVEN events that all go out, and beta's counter write throttled once
    eventbridge.on(PutEventsCommand).callsFake((input) => ({ FailedEntryCount: 0, Entries: input.Entries.map(() => ({ EventId: 'x' })) }));
    counters.failing.add('beta');
    const records = [insert('a-1', 1, 'alpha'), insert('b-1', 2, 'beta'), insert('b-2', 3, 'beta')];
    // WHEN the batch is handled
    const result = await handler({ Records: records }, lambdaContext('Publisher', 1000));
    // THEN it is retried from beta's first record, and the retry leaves every counter exact
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: '0000000002' }] });
    await handler({ Records: records.slice(1) }, lambdaContext('Publisher', 1000));
    expect([counters.of('alpha'), counters.of('beta')]).toEqual([
      { total: 1, healthy: 1 },
      { total: 2, healthy: 2 },
    ]);
  });

  it('reports the first publishable record of a chunk when PutEvents itself keeps failing', async () => {
    const result = await publishInOrder(
      [{ id: 'r1', change: { kind: 'other' } }, ...batch(3).Records.map((r, i) => ({ id: `s${i}`, change: toStoredChange(r) }))],
      {
        put: async () => {
          throw new Error('down');
        },
      },
      { sleep: async () => undefined },
    );
    expect(result.failedRecordId).toBe('s0');
    expect(result.published).toBe(0);
  });
});

/**
 * A sink that fails entries at random (throttling, and now and then a permanent error) and records what went out;
 * the event source is simulated as AWS runs it: retry from the reported record.
 */
describe('publishInOrder under PutEvents faults', () => {
  const change = (instanceId: string, revision: number): StoredChange => ({
    kind: 'instance',
    write: 'register',
    newImage: { ...draftInstance({ service: 'orders', instanceId }, registerBody.parse({ address: '10.0.0.1', port: 80 }), 'o', T), revision },
    byTtl: false,
    atMs: T,
  });

  it('never lets a newer revision of an instance out before an older one, and loses none', async () => {
    let seed = 42;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const delivered: Array<{ id: string; revision: number }> = [];
    let perCall = 0;
    const sink: EventSink = {
      async put(events: readonly ChangeEvent[]): Promise<PutOutcome[]> {
        const keys = events.map((e) => e.orderingKey);
        perCall = Math.max(perCall, keys.length - new Set(keys).size);
        return events.map((event) => {
          const roll = random();
          if (roll < 0.15) return { ok: false, retryable: true, error: 'ThrottlingException' };
          if (roll < 0.17) return { ok: false, retryable: false, error: 'InternalFailure' };
          const detail = event.detail as { instanceId: string; revision: number };
          if (event.detailType !== 'Registry Resync Required') delivered.push({ id: detail.instanceId, revision: detail.revision });
          return { ok: true };
        });
      },
    };
    // 3,000 changes to 7 instances, interleaved as a busy stream would carry them.
    const records = Array.from({ length: 3000 }, (_, i) => ({ id: String(i), change: change(`i-${i % 7}`, 1000 + i) }));
    let from = 0;
    while (from < records.length) {
      const batch = records.slice(from, from + 100);
      const result = await publishInOrder(batch, sink, { sleep: async () => undefined, maxAttempts: 2 });
      from = result.failedRecordId === undefined ? from + batch.length : Number(result.failedRecordId);
    }
    const last = new Map<string, number>();
    let reversed = 0;
    for (const { id, revision } of delivered) {
      if ((last.get(id) ?? 0) > revision) reversed++;
      last.set(id, Math.max(last.get(id) ?? 0, revision));
    }
    expect(perCall).toBe(0); // never two events of one instance in one call
    expect(reversed).toBe(0);
    expect(new Set(delivered.map((d) => d.revision)).size).toBe(3000);
  });
});
