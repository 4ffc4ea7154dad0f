/**
 * The registry's storage port. The DynamoDB adapter implements it (`lambdas/adapters/dynamodb-store.ts`);
 * every write is a single conditional request, so ownership and existence checks cannot race other writes.
 */
import type { Instance, InstanceChanges, InstanceKey, SummaryDelta } from './instance.js';
import type { ServiceSummary } from '@service-registry/contracts';

/** A conditional write either succeeds, returning the item it replaced, or fails, returning the item that stopped it. */
export type WriteResult = { readonly ok: true; readonly previous?: Instance } | { readonly ok: false; readonly current?: Instance };

/**
 * Conditions of a write: the owner to match (`undefined` for an admin) and the time that decides expiry; and who
 * writes (`principal`), which the store stamps on the item (`lastWriter`) so the change history names the caller,
 * not the owner (an admin draining someone else's instance is recorded as the admin).
 */
export interface WriteGuard {
  readonly owner: string | undefined;
  readonly nowMs: number;
  /** @default - the owner (or `unknown` for an admin): callers outside the registry's use cases (tests, benches) */
  readonly principal?: string;
}

/**
 * What a renewed lease answers with: the instance's key, its new expiry and its revision (which a heartbeat does not
 * move). Only these, so a store can return them without reading back the rest of the instance.
 */
export type RenewedLease = Pick<Instance, 'service' | 'instanceId' | 'leaseExpiresAtMs' | 'revision'>;

/** One page of a service's instances in id order. `lastId` is set when more may follow. */
export interface InstancePage {
  readonly items: readonly Instance[];
  readonly lastId?: string;
}

export interface SummaryPage {
  readonly summaries: readonly ServiceSummary[];
  readonly lastService?: string;
}

/**
 * Where instances are kept. Each write must leave the instance `nextInstance` (instance.ts) computes for it (register,
 * patch, heartbeat; the prober's store the health mark): the registry answers with that instance without reading
 * the item back, and test/lambdas/adapters/dynamodb-store.test.ts holds the DynamoDB adapter to it.
 */
export interface InstanceStore {
  /**
   * Creates or replaces an instance. Succeeds when it does not exist, is owned by `guard.owner`, or its lease has
   * expired (an expired instance is gone, so anyone allowed to write the service may take the id). The store sets
   * `revision` to the previous revision + 1, or `firstRevision(nowMs)` for a new item.
   */
  register(draft: Omit<Instance, 'revision'>, guard: WriteGuard): Promise<WriteResult>;
  /** Changes some fields of a live instance, bumping its revision. */
  patch(key: InstanceKey, changes: InstanceChanges, guard: WriteGuard): Promise<WriteResult>;
  /** Renews the lease of a live, leased instance; touches nothing else (no revision bump). */
  heartbeat(
    key: InstanceKey,
    guard: WriteGuard,
  ): Promise<{ readonly ok: true; readonly instance: RenewedLease } | { readonly ok: false; readonly current?: Instance }>;
  /** Deletes a live instance; an expired one is refused (it is the sweeper's to remove, as an expiry). */
  remove(key: InstanceKey, guard: WriteGuard): Promise<WriteResult>;
  get(key: InstanceKey): Promise<Instance | undefined>;
  page(service: string, after: string | undefined, limit: number): Promise<InstancePage>;
  /**
   * The services' total/healthy counters (kept beside the instances; no scan to list services). The registry's
   * writes never touch them: the stream publisher derives them ({@link StreamCounterStore}), so they trail the
   * instances by one stream poll.
   */
  listSummaries(after: string | undefined, limit: number): Promise<SummaryPage>;
}

/**
 * Where the stream publisher keeps the service counters (lambdas/domain/stream-counters.ts): one conditional write
 * per service per batch, guarded by the service's high-water mark of stream sequence numbers.
 */
export interface StreamCounterStore {
  /**
   * Adds `delta` to the service's counters and stores `through` as its high-water mark, only if the stored mark is
   * absent or below `from` (both as `streamPosition`s: fixed-width strings). Refused: the stored mark.
   */
  addStreamCounts(
    service: string,
    delta: SummaryDelta,
    from: string,
    through: string,
  ): Promise<{ readonly applied: true } | { readonly applied: false; readonly mark: string }>;
}
