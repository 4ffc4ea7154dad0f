/**
 * The local stand-in for the prober's SQS queue and event source (local/delay-queue.ts): a message is delivered no
 * sooner than its delay, redelivered after a failed invocation once the visibility timeout has passed, dropped
 * after `maxReceiveCount` receives, and counted the way SQS bills the prober's own traffic.
 */
import type { SQSEvent } from 'aws-lambda';
import { LocalDelayQueue } from '../../local/delay-queue.js';

const message = { shard: 0, shards: 1, round: 1 };

describe('the local delay queue', () => {
  it('delivers each message once, one per invocation, no sooner than its delay', async () => {
    const queue = new LocalDelayQueue({ timeoutMs: 1000 });
    const delivered: Array<{ at: number; body: string; records: number }> = [];
    const sent = Date.now();
    queue.start(async (event: SQSEvent) => void delivered.push({ at: Date.now() - sent, body: event.Records[0]!.body, records: event.Records.length }));
    expect(
      await queue.enqueue([
        { delayMs: 150, message },
        { delayMs: 50, message: { ...message, round: 2 } },
      ]),
    ).toEqual({ requests: 1 });
    await new Promise((r) => setTimeout(r, 400));
    await queue.stop();
    expect(delivered.map((d) => JSON.parse(d.body).round)).toEqual([2, 1]);
    expect(delivered.every((d) => d.records === 1)).toBe(true);
    expect(delivered[0]!.at).toBeGreaterThanOrEqual(45);
    expect(delivered[1]!.at).toBeGreaterThanOrEqual(145);
    expect(queue.requests).toBe(1 + 2 * 2); // one SendMessageBatch; a receive and a delete per message
  });

  it('redelivers a message whose invocation failed after the visibility timeout, and drops it after the last receive', async () => {
    const dropped: string[] = [];
    const queue = new LocalDelayQueue({ timeoutMs: 1000, visibilityTimeoutMs: 30, maxReceiveCount: 3, onDeadLetter: (body) => dropped.push(body) });
    const receives: string[] = [];
    queue.start(async (event: SQSEvent) => {
      receives.push(event.Records[0]!.attributes.ApproximateReceiveCount);
      throw new Error('round failed');
    });
    await queue.enqueue([{ delayMs: 0, message }]);
    await new Promise((r) => setTimeout(r, 300));
    await queue.stop();
    expect(receives).toEqual(['1', '2', '3']);
    expect(dropped).toEqual([JSON.stringify(message)]);
  });

  it('can deliver a message twice, as SQS occasionally does', async () => {
    const queue = new LocalDelayQueue({ timeoutMs: 1000 });
    let deliveries = 0;
    queue.start(async () => void deliveries++);
    queue.duplicate(0, message);
    await new Promise((r) => setTimeout(r, 100));
    await queue.stop();
    expect(deliveries).toBe(2);
  });
});
