/** The SQS change feed with SQS mocked: long polling, delete after apply, leave unapplied messages. */
import { DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { SqsFeed, type RegistryEvent } from '../../sdk/feeds.js';

const sqs = mockClient(SQSClient);
const message = (id: string, body: object | string) => ({ MessageId: id, ReceiptHandle: `rh-${id}`, Body: typeof body === 'string' ? body : JSON.stringify(body) });

it('long-polls, hands every event to the cache, and deletes only what was applied', async () => {
  let calls = 0;
  sqs.on(ReceiveMessageCommand).callsFake(async () => {
    calls++;
    if (calls === 1) return { Messages: [message('1', { id: 'e1', detail: { service: 's' } }), message('2', 'not json'), message('3', { id: 'e3', detail: { service: 's' } })] };
    await new Promise((r) => setTimeout(r, 20));
    return { Messages: [] };
  });
  sqs.on(DeleteMessageBatchCommand).resolves({ Successful: [] });
  const applied: string[] = [];
  let gaps = 0;
  const feed = new SqsFeed({ queueUrl: 'https://sqs.local/q', client: new SQSClient({ region: 'us-east-1' }), waitTimeSeconds: 20 });
  feed.start({ onEvent: (e: RegistryEvent) => void applied.push(e.id), onGap: () => void gaps++ });
  await new Promise((r) => setTimeout(r, 100));
  await feed.stop();
  expect(gaps).toBe(1); // a new subscriber starts from a snapshot
  expect(applied).toEqual(['e1', 'e3']);
  expect(sqs.commandCalls(ReceiveMessageCommand)[0]!.args[0].input).toMatchObject({ WaitTimeSeconds: 20, MaxNumberOfMessages: 10 });
  const deleted = sqs.commandCalls(DeleteMessageBatchCommand)[0]!.args[0].input.Entries!.map((e) => e.ReceiptHandle);
  expect(deleted).toEqual(['rh-1', 'rh-3']); // the unparseable one stays for redelivery / the DLQ
});
