/**
 * Local stand-in for an EventBridge schedule: invokes a handler every `periodMs` (AWS: a rate of one minute), each
 * invocation with a deadline like the function's timeout. As in AWS, an invocation starts on time even when the one
 * before is still running (the prober's lock keeps two from probing at once); the first starts at once.
 */
import type { Context } from 'aws-lambda';
import { lambdaContext } from './lambda-context.js';

export type ScheduledHandler = (event: Record<string, unknown>, context: Context) => Promise<unknown>;

export interface Schedule {
  /** Stops invoking; a running invocation's remaining time drops to 0, and it is waited for. */
  stop(): Promise<void>;
}

/**
 * @example
 * const schedule = startSchedule('Prober', handler, { timeoutMs: 60_000, periodMs: 60_000 });
 * await schedule.stop();
 */
export function startSchedule(
  name: string,
  handler: ScheduledHandler,
  options: { timeoutMs: number; periodMs: number; event?: Record<string, unknown>; onError?: (error: unknown) => void },
): Schedule {
  let stopped = false;
  const running = new Set<Promise<void>>();
  const invoke = () => {
    if (stopped) return;
    const invocation = (async () => {
      try {
        await handler(
          { source: 'aws.events', 'detail-type': 'Scheduled Event', ...options.event },
          lambdaContext(name, options.timeoutMs, () => stopped),
        );
      } catch (error) {
        // EventBridge's target for the prober has no retries: the next period invokes it again.
        options.onError?.(error);
      }
    })().finally(() => running.delete(invocation));
    running.add(invocation);
  };
  invoke();
  const timer = setInterval(invoke, options.periodMs);
  return {
    stop: async () => {
      stopped = true;
      clearInterval(timer);
      await Promise.all([...running]);
    },
  };
}
