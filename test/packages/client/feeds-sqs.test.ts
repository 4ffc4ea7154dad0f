/**
 * The SQS change feed with SQS mocked (the AWS SDK's client is theirs, not ours): long polling, validation of every
 * message against the event contract, delete after apply, leave unapplied or invalid messages for redelivery.
 */
import { DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { RegistryResponseError, SqsFeed, type RegistryEvent } from '@service-registry/client';

const sqs = mockClient(SQSClient);
const message = (id: string, body: object | string) => ({
  MessageId: id,
  ReceiptHandle: `rh-${id}`,
  Body: typeof body === 'string' ? body : JSON.stringify(body),
});
const time = '2025-01-01T00:00:00.000Z';
const registered = (id: string, instanceId: string) => ({
  version: '0',
  id,
  'detail-type': 'Instance Registered',
  source: 'service-registry',
  account: '123456789012',
  time,
  region: 'eu-west-1',
  resources: [],
  detail: {
    schemaVersion: '1.0',
    eventId: `orders/${instanceId}/1`,
    service: 'orders',
    instanceId,
    revision: 1,
    instance: null,
    changed: [],
    reason: 'registered',
    time,
  },
});

afterEach(() => sqs.reset());

it('long-polls, hands every valid event to the cache, and deletes only what was applied', async () => {
  // Prepare: valid, not JSON, valid, against the contract (no revision), a detail-type this SDK does not know.
  let calls = 0;
  sqs.on(ReceiveMessageCommand).callsFake(async () => {
    calls++;
    if (calls === 1) {
      const { revision: _dropped, ...withoutRevision } = registered('e4', 'd').detail;
      return {
        Messages: [
          message('1', registered('e1', 'a')),
          message('2', 'not json'),
          message('3', registered('e3', 'c')),
          message('4', { ...registered('e4', 'd'), detail: withoutRevision }),
          message('5', { ...registered('e5', 'e'), 'detail-type': 'Instance Moved' }),
        ],
      };
    }
    await new Promise((r) => setTimeout(r, 20));
    return { Messages: [] };
  });
  sqs.on(DeleteMessageBatchCommand).resolves({ Successful: [] });
  const applied: string[] = [];
  const errors: Error[] = [];
  let gaps = 0;
  const feed = new SqsFeed({
    queueUrl: 'https://sqs.local/q',
    client: new SQSClient({ region: 'us-east-1' }),
    waitTimeSeconds: 20,
    onError: (e) => errors.push(e),
  });

  // Act
  feed.start({ onEvent: (e: RegistryEvent) => void applied.push(e.id), onGap: () => void gaps++ });
  await new Promise((r) => setTimeout(r, 100));
  await feed.stop();

  // Assess
  expect(applied).toEqual(['e1', 'e3']);
  expect(gaps).toBe(3); // a new subscriber starts from a snapshot; each invalid message asks for one more
  expect(errors.map((e) => e.name)).toEqual(['RegistryResponseError', 'RegistryResponseError']);
  expect(errors[1]).toBeInstanceOf(RegistryResponseError);
  expect(errors[1]).toMatchObject({ issues: [{ path: 'revision' }] });
  expect(sqs.commandCalls(ReceiveMessageCommand)[0]!.args[0].input).toMatchObject({ WaitTimeSeconds: 20, MaxNumberOfMessages: 10 });
  const deleted = sqs.commandCalls(DeleteMessageBatchCommand)[0]!.args[0].input.Entries!.map((e) => e.ReceiptHandle);
  // The invalid ones stay for redelivery and the dead-letter queue; the unknown detail-type has nothing to apply.
  expect(deleted).toEqual(['rh-1', 'rh-3', 'rh-5']);
});
