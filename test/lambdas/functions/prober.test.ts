/**
 * The prober function (lambdas/functions/prober.ts) against DynamoDB Local, with its round queue recorded: the
 * schedule's invocation queues the minute's later rounds before it runs round 0; a round message runs one round;
 * with `REGISTRY_PROBE_SCHEDULE_ONLY` the schedule's invocation queues round 0 as well and probes nothing; a body
 * that is not a round is dropped, not retried. The SQS adapter sends the rounds in batches of ten with their delays.
 */
import { randomUUID } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { SqsRoundQueue } from '../../../lambdas/adapters/sqs-round-queue.js';
import { parseRoundMessage, proberHandler } from '../../../lambdas/functions/prober.js';
import type { RoundMessage, RoundQueue } from '../../../lambdas/domain/prober-ports.js';
import { NO_TELEMETRY } from '../../../lambdas/domain/telemetry.js';
import { loadConfig, loadProberConfig } from '../../../lambdas/wiring/config.js';
import { createPlatform } from '../../../lambdas/wiring/platform.js';
import { bootstrapTable } from '../../../local/bootstrap-table.js';
import { lambdaContext } from '../../../local/lambda-context.js';

const raw = new DynamoDBClient({
  endpoint: process.env.TEST_DYNAMODB_ENDPOINT,
  region: 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
});
afterAll(() => raw.destroy());

/** A queue that records what it was given. */
function recordingQueue() {
  const sent: Array<{ delayMs: number; message: RoundMessage }> = [];
  const queue: RoundQueue = {
    enqueue: async (messages) => {
      sent.push(...messages);
      return { requests: Math.ceil(messages.length / 10) };
    },
  };
  return { sent, queue };
}

async function prober(env: NodeJS.ProcessEnv = {}) {
  const tableName = `prober-fn-${randomUUID()}`;
  await bootstrapTable(raw, tableName);
  const fullEnv = { TABLE_NAME: tableName, ...env };
  const { sent, queue } = recordingQueue();
  const logger = new Logger({ serviceName: 'test', logLevel: 'SILENT' });
  const platform = createPlatform(loadConfig(fullEnv), { logger, telemetry: NO_TELEMETRY, dynamodb: raw });
  const handler = proberHandler({ ...platform, prober: loadProberConfig(fullEnv), rounds: queue });
  return { handler, sent };
}

const sqsEvent = (body: string): SQSEvent => ({
  Records: [
    {
      messageId: randomUUID(),
      receiptHandle: 'r',
      body,
      attributes: { ApproximateReceiveCount: '1', SentTimestamp: '0', SenderId: 's', ApproximateFirstReceiveTimestamp: '0' },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:us-east-1:1:q',
      awsRegion: 'us-east-1',
    },
  ],
});

describe('the prober function', () => {
  it("queues the minute's later rounds (10 to 50 s at 10 s rounds) in one request, then runs round 0", async () => {
    const { handler, sent } = await prober();
    const result = await handler({ shard: 0, shards: 1 }, lambdaContext('Prober', 60_000));
    expect(result).toEqual({ rounds: 1, locked: false, enqueueRequests: 1 });
    expect(sent).toEqual([1, 2, 3, 4, 5].map((round) => ({ delayMs: round * 10_000, message: { shard: 0, shards: 1, round } })));
  });

  it('runs one round for a round message and queues nothing', async () => {
    const { handler, sent } = await prober();
    const result = await handler(sqsEvent(JSON.stringify({ shard: 0, shards: 1, round: 3 })), lambdaContext('Prober', 60_000));
    expect(result).toEqual({ rounds: 1, locked: false, enqueueRequests: 0 });
    expect(sent).toEqual([]);
  });

  it('drops a message that is not a round instead of failing (a retry could never succeed)', async () => {
    const { handler } = await prober();
    for (const body of ['not json', '{}', JSON.stringify({ shard: 2, shards: 2, round: 1 })]) {
      expect(await handler(sqsEvent(body), lambdaContext('Prober', 60_000))).toEqual({ rounds: 0, locked: false, enqueueRequests: 0 });
    }
    expect(parseRoundMessage(JSON.stringify({ shard: 1, shards: 2, round: 0 }))).toEqual({ shard: 1, shards: 2, round: 0 });
  });

  it('with REGISTRY_PROBE_SCHEDULE_ONLY, queues round 0 too and probes nothing (the scheduler outside a VPC)', async () => {
    const { handler, sent } = await prober({ REGISTRY_PROBE_SCHEDULE_ONLY: 'true' });
    const result = await handler({ shard: 0, shards: 1 }, lambdaContext('Prober', 10_000));
    expect(result).toEqual({ rounds: 0, locked: false, enqueueRequests: 1 });
    expect(sent.map((m) => [m.delayMs, m.message.round])).toEqual([0, 1, 2, 3, 4, 5].map((round) => [round * 10_000, round]));
  });

  it('still runs round 0 when the queue refuses the later rounds', async () => {
    const tableName = `prober-fn-${randomUUID()}`;
    await bootstrapTable(raw, tableName);
    const env = { TABLE_NAME: tableName };
    const platform = createPlatform(loadConfig(env), {
      logger: new Logger({ serviceName: 'test', logLevel: 'SILENT' }),
      telemetry: NO_TELEMETRY,
      dynamodb: raw,
    });
    const failing: RoundQueue = { enqueue: async () => Promise.reject(new Error('throttled')) };
    const handler = proberHandler({ ...platform, prober: loadProberConfig(env), rounds: failing });
    expect(await handler({}, lambdaContext('Prober', 60_000))).toMatchObject({ rounds: 1, locked: false });
  });
});

describe('the SQS round queue', () => {
  it('sends the rounds in batches of ten with their delays in whole seconds, and fails naming refused entries', async () => {
    const sqs = mockClient(SQSClient);
    sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
    const queue = new SqsRoundQueue(new SQSClient({ region: 'us-east-1' }), 'https://sqs/q');
    const messages = Array.from({ length: 12 }, (_, n) => ({ delayMs: (n + 1) * 1000, message: { shard: 0, shards: 1, round: n + 1 } }));
    expect(await queue.enqueue(messages)).toEqual({ requests: 2 });
    const calls = sqs.commandCalls(SendMessageBatchCommand).map((c) => c.args[0].input);
    expect(calls.map((c) => c.Entries!.length)).toEqual([10, 2]);
    expect(calls[0]!.Entries![0]).toEqual({ Id: '0', MessageBody: JSON.stringify({ shard: 0, shards: 1, round: 1 }), DelaySeconds: 1 });
    sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [{ Id: '0', Code: 'Throttled', SenderFault: false }] });
    await expect(queue.enqueue(messages.slice(0, 1))).rejects.toThrow(/refused 1 round message\(s\): 0: Throttled/);
    sqs.restore();
  });
});
