/** The publisher handler with EventBridge mocked: partial failures are retried or reported, never lost. */
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { draftInstance } from '../../lambdas/domain/instance.js';
import { publishInOrder } from '../../lambdas/domain/publisher.js';
import { registerBody } from '../../lambdas/domain/schemas.js';
import { instanceItemKey } from '../../lambdas/table.js';
import { toStoredChange } from '../../lambdas/adapters/stream-record.js';
import { lambdaContext } from '../../local/lambda-context.js';

process.env.EVENT_BUS_NAME = 'bus';
const eventbridge = mockClient(EventBridgeClient);
const { handler } = await import('../../lambdas/handlers/publisher.js');

const T = Date.UTC(2026, 10, 24, 12);
function insert(id: string, seq: number): DynamoDBRecord {
  const instance = { ...draftInstance({ service: 'orders', instanceId: id }, registerBody.parse({ address: '10.0.0.1', port: 80 }), 'o', T), revision: seq };
  return {
    eventName: 'INSERT',
    dynamodb: {
      Keys: marshall(instanceItemKey('orders', id)) as any,
      NewImage: marshall({ ...instanceItemKey('orders', id), ...instance, lastWrite: 'register' }, { removeUndefinedValues: true }) as any,
      SequenceNumber: String(seq).padStart(10, '0'),
      ApproximateCreationDateTime: T / 1000,
    },
  };
}
const batch = (n: number): DynamoDBStreamEvent => ({ Records: Array.from({ length: n }, (_, i) => insert(`i-${i}`, i + 1)) });
const ids = (input: any) => input.Entries.map((e: any) => JSON.parse(e.Detail).instanceId);

beforeEach(() => eventbridge.reset());

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
        Entries: input.Entries.map((_: unknown, i: number) => (call === 1 && (i === 1 || i === 3) ? { ErrorCode: 'ThrottlingException', ErrorMessage: 'slow down' } : { EventId: 'x' })),
      };
    });
    expect(await handler(batch(5), lambdaContext('Publisher', 1000))).toEqual({ batchItemFailures: [] });
    const calls = eventbridge.commandCalls(PutEventsCommand).map((c) => c.args[0].input);
    expect(calls.map(ids)).toEqual([['i-0', 'i-1', 'i-2', 'i-3', 'i-4'], ['i-1', 'i-3']]);
  });

  it('reports the earliest record whose event could not be published, so the batch is retried from it', async () => {
    eventbridge.on(PutEventsCommand).callsFake((input) => ({
      FailedEntryCount: 1,
      Entries: input.Entries.map((e: any) => (JSON.parse(e.Detail).instanceId === 'i-12' ? { ErrorCode: 'AccessDeniedException', ErrorMessage: 'no' } : { EventId: 'x' })),
    }));
    const result = await handler(batch(25), lambdaContext('Publisher', 1000));
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: '0000000013' }] });
    // The third chunk (records 21-25) is not sent: it will be retried after record 13, in order.
    expect(eventbridge.commandCalls(PutEventsCommand)).toHaveLength(2);
  });

  it('reports the first publishable record of a chunk when PutEvents itself keeps failing', async () => {
    const result = await publishInOrder(
      [{ id: 'r1', change: { kind: 'other' } }, ...batch(3).Records.map((r, i) => ({ id: `s${i}`, change: toStoredChange(r) }))],
      { put: async () => { throw new Error('down'); } },
      { sleep: async () => undefined },
    );
    expect(result.failedRecordId).toBe('s0');
    expect(result.published).toBe(0);
  });
});
