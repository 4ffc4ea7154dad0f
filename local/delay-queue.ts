/**
 * Local stand-in for the prober's SQS queue and its Lambda event source: delayed messages, delivered at least once
 * to a handler, one message per invocation (batch size 1), redelivered after a failed invocation once the
 * visibility timeout has passed, and dropped (reported, like a dead-letter queue) after `maxReceiveCount`
 * receives. It implements the prober's `RoundQueue` port directly (no SQS wire protocol): the handler is unchanged,
 * only the adapter differs, as with the DynamoDB client pointed at DynamoDB Local.
 *
 * Where it differs from SQS, and why that does not matter here:
 * - delays are exact to the millisecond (SQS: whole seconds, delivered within about a second): the prober's lock
 *   tolerates a message a little early or late either way;
 * - a message is delivered once unless its invocation fails (SQS may, rarely, deliver one twice): `duplicate` lets
 *   a test deliver one twice on purpose;
 * - no poller: the event source's idle long polls (billed in AWS) have no local cost; `requests` counts what the
 *   prober's own traffic would be billed (SendMessageBatch per ten messages, a receive and a delete per message).
 */
import type { Context, SQSEvent } from 'aws-lambda';
import { randomUUID } from 'node:crypto';
import type { RoundMessage, RoundQueue } from '../lambdas/domain/prober-ports.js';
import { lambdaContext } from './lambda-context.js';

export type QueueHandler = (event: SQSEvent, context: Context) => Promise<unknown>;

export interface DelayQueueOptions {
  /** The function's timeout: each invocation's deadline. */
  readonly timeoutMs: number;
  /** Time before a message whose invocation failed is delivered again (SQS: the queue's visibility timeout). @default timeoutMs */
  readonly visibilityTimeoutMs?: number;
  /** Receives before a message is dropped to `onDeadLetter` (SQS: the redrive policy's maxReceiveCount). @default 3 */
  readonly maxReceiveCount?: number;
  readonly onError?: (error: unknown) => void;
  readonly onDeadLetter?: (body: string) => void;
}

/**
 * @example
 * const queue = new LocalDelayQueue({ timeoutMs: 60_000 });
 * queue.start(handler);
 * await queue.enqueue([{ delayMs: 10_000, message: { shard: 0, shards: 1, round: 1 } }]);
 * await queue.stop();
 */
export class LocalDelayQueue implements RoundQueue {
  /** Requests the prober's traffic would be billed in SQS (see the module's notes). */
  requests = 0;
  private handler: QueueHandler | undefined;
  private stopped = false;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly options: DelayQueueOptions) {}

  /** Starts delivering to `handler` (messages sent before wait for it). */
  start(handler: QueueHandler): void {
    this.handler = handler;
  }

  async enqueue(messages: ReadonlyArray<{ readonly delayMs: number; readonly message: RoundMessage }>): Promise<{ requests: number }> {
    const requests = Math.ceil(messages.length / 10);
    this.requests += requests;
    for (const { delayMs, message } of messages) this.deliverAfter(delayMs, JSON.stringify(message), randomUUID(), 1);
    return { requests };
  }

  /** Delivers `message` twice, as SQS at-least-once delivery occasionally does (for tests). */
  duplicate(delayMs: number, message: RoundMessage): void {
    const id = randomUUID();
    this.deliverAfter(delayMs, JSON.stringify(message), id, 1);
    this.deliverAfter(delayMs, JSON.stringify(message), id, 1);
  }

  /** Stops delivering: pending messages are dropped (an in-memory queue), running invocations are waited for. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    await Promise.all([...this.running]);
  }

  private deliverAfter(delayMs: number, body: string, messageId: string, receiveCount: number): void {
    if (this.stopped) return;
    const timer = setTimeout(
      () => {
        this.timers.delete(timer);
        const delivery = this.deliver(body, messageId, receiveCount).finally(() => this.running.delete(delivery));
        this.running.add(delivery);
      },
      Math.max(0, delayMs),
    );
    this.timers.add(timer);
  }

  private async deliver(body: string, messageId: string, receiveCount: number): Promise<void> {
    if (this.stopped) return;
    if (!this.handler) {
      // Not consuming yet: the message stays in the queue (SQS would keep it until a poller came).
      this.deliverAfter(100, body, messageId, receiveCount);
      return;
    }
    this.requests += 2; // the receive that returned it, and its delete after a successful invocation
    const event: SQSEvent = {
      Records: [
        {
          messageId,
          receiptHandle: randomUUID(),
          body,
          attributes: {
            ApproximateReceiveCount: String(receiveCount),
            SentTimestamp: String(Date.now()),
            SenderId: 'local',
            ApproximateFirstReceiveTimestamp: String(Date.now()),
          },
          messageAttributes: {},
          md5OfBody: '',
          eventSource: 'aws:sqs',
          eventSourceARN: 'arn:aws:sqs:local:000000000000:prober-rounds',
          awsRegion: 'local',
        },
      ],
    };
    try {
      await this.handler(
        event,
        lambdaContext('Prober', this.options.timeoutMs, () => this.stopped),
      );
    } catch (error) {
      this.requests -= 1; // no delete
      this.options.onError?.(error);
      if (receiveCount >= (this.options.maxReceiveCount ?? 3)) this.options.onDeadLetter?.(body);
      else this.deliverAfter(this.options.visibilityTimeoutMs ?? this.options.timeoutMs, body, messageId, receiveCount + 1);
    }
  }
}
