/**
 * Local stand-in for an EventBridge schedule: invokes a handler again and again, each invocation with a deadline
 * like the function's timeout. In AWS a rule invokes the prober every minute; locally the next invocation starts
 * as soon as the previous one returns (a little sooner than AWS would, never overlapping).
 */
import type { Context } from 'aws-lambda';
import { lambdaContext } from './lambda-context.js';

export type ScheduledHandler = (event: Record<string, unknown>, context: Context) => Promise<unknown>;

export interface Schedule {
  /** Ends the current invocation early (its remaining time drops to 0) and waits for it to return. */
  stop(): Promise<void>;
}

/**
 * @example
 * const schedule = startSchedule('Prober', handler, { timeoutMs: 60_000 });
 * await schedule.stop();
 */
export function startSchedule(
  name: string,
  handler: ScheduledHandler,
  options: { timeoutMs: number; event?: Record<string, unknown>; onError?: (error: unknown) => void },
): Schedule {
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      try {
        await handler(
          { source: 'aws.events', 'detail-type': 'Scheduled Event', ...options.event },
          lambdaContext(name, options.timeoutMs, () => stopped),
        );
      } catch (error) {
        options.onError?.(error);
        if (!stopped) await new Promise((r) => setTimeout(r, 1000));
      }
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await loop;
    },
  };
}
