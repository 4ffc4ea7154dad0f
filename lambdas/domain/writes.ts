/**
 * The kinds of write an instance item receives. Every write stamps its kind on the item (`lastWrite`), so a change
 * is classified from what was done (lambdas/domain/events.ts), and the stream filter (lambdas/stream-filter.ts)
 * keeps the unpublished kinds from the publisher without a Lambda invocation. Dependency-free: the CDK construct
 * reads it through the stream filter.
 */

/**
 * - `register`: a registration (new, or replacing one); `patch`: status, weight, metadata or tags;
 * - `heartbeat`: a lease renewal; `health`: the prober's health mark;
 * - `removal`: the sweeper marking an instance it is about to delete; `deregister`: a deregistration stamping its
 *   caller just before the delete (`DynamoDbInstanceStore.remove`).
 */
export type InstanceWrite = 'register' | 'patch' | 'heartbeat' | 'health' | 'removal' | 'deregister';

/**
 * Writes subscribers never see: a renewal changes nothing they route by, and a mark or a stamp is followed by the
 * delete that is published. None of them bumps the revision.
 */
export const UNPUBLISHED_WRITES = ['heartbeat', 'removal', 'deregister'] as const satisfies readonly InstanceWrite[];

/** The writes that are published as change events. */
export type PublishedWrite = Exclude<InstanceWrite, (typeof UNPUBLISHED_WRITES)[number]>;

/** True for a write that is published as a change event (see {@link UNPUBLISHED_WRITES}). */
export function isPublished(write: InstanceWrite): write is PublishedWrite {
  return !(UNPUBLISHED_WRITES as readonly InstanceWrite[]).includes(write);
}
