/**
 * The prober's round queue in AWS: the minute's later rounds as delayed SQS messages, sent in one SendMessageBatch
 * request per ten (SQS bills a batch of small messages as one request; https://aws.amazon.com/sqs/pricing/).
 */
import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { RoundMessage, RoundQueue } from '../domain/prober-ports.js';

/** Most entries of one SendMessageBatch request. */
const BATCH = 10;

/** Thrown when SQS refused some entries of a batch (each named with its code), after the others were sent. */
export class RoundQueueError extends Error {
  override readonly name = 'RoundQueueError';
}

/**
 * @example
 * const rounds = new SqsRoundQueue(new SQSClient({}), process.env.REGISTRY_PROBE_QUEUE_URL!);
 * await rounds.enqueue([{ delayMs: 10_000, message: { shard: 0, shards: 1, round: 1 } }]);
 */
export class SqsRoundQueue implements RoundQueue {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async enqueue(messages: ReadonlyArray<{ readonly delayMs: number; readonly message: RoundMessage }>): Promise<{ requests: number }> {
    let requests = 0;
    const failed: string[] = [];
    for (let start = 0; start < messages.length; start += BATCH) {
      const chunk = messages.slice(start, start + BATCH);
      requests++;
      const out = await this.client.send(
        new SendMessageBatchCommand({
          QueueUrl: this.queueUrl,
          // DelaySeconds is whole seconds, at most 900 (15 minutes).
          Entries: chunk.map(({ delayMs, message }, n) => ({
            Id: String(start + n),
            MessageBody: JSON.stringify(message),
            DelaySeconds: Math.min(900, Math.max(0, Math.round(delayMs / 1000))),
          })),
        }),
      );
      for (const f of out.Failed ?? []) failed.push(`${f.Id}: ${f.Code}`);
    }
    if (failed.length > 0) throw new RoundQueueError(`SQS refused ${failed.length} round message(s): ${failed.join(', ')}`);
    return { requests };
  }
}
