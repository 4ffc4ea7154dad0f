/**
 * DynamoDB adapter of {@link InstanceStore}. Every write is one conditional request built from fixed attribute
 * names (`#name` placeholders) and values (`:value` placeholders); nothing from a request is ever spliced into an
 * expression. Failed conditions return the item that stopped them (`ReturnValuesOnConditionCheckFailure`), so the
 * domain can tell 404 from 403 without an extra read.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, GetCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { firstRevision, TTL_GRACE_SECONDS, ttlSeconds, type Instance, type InstanceChanges, type InstanceKey, type SummaryDelta } from '../domain/instance.js';
import type { InstancePage, InstanceStore, StreamCounterStore, SummaryPage, WriteGuard, WriteResult } from '../domain/ports.js';
import type { GuardState, ProtectionReader } from '../domain/registry.js';
import type { InstanceWrite } from '../domain/writes.js';
import { INSTANCE_PREFIX, instanceItemKey, protectionItemKey, registryTable, servicePartition, SERVICES_PARTITION, summaryItemKey } from '../table.js';
import { shardOf } from '../domain/shards.js';
import {
  GUARD_FIELDS,
  INSTANCE_PROJECTION,
  instanceAttributes,
  OWN_ATTRIBUTE_FIELDS,
  PATCHED_FIELDS,
  STORAGE_FIELDS,
  toGuardState,
  toInstance,
  type Item,
} from './items.js';
import { UpdateExpression } from './update-expression.js';

export { toInstance } from './items.js';

/** Tries of a deregistration's stamp-then-delete pair when other writes keep coming in between (see `remove`). */
const REMOVE_ATTEMPTS = 5;

/** The attributes a registration sets or removes: all an instance item may hold but its key and the revision. */
const REPLACED_ATTRIBUTES = [...new Set([...OWN_ATTRIBUTE_FIELDS, ...PATCHED_FIELDS, ...STORAGE_FIELDS])].filter((name) => name !== 'revision');

/**
 * The parts of `page`'s Query that never change, built once per process: the key condition and the projection of
 * what an instance is read from ({@link INSTANCE_PROJECTION}).
 */
const PAGE_QUERY = {
  KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
  ProjectionExpression: INSTANCE_PROJECTION.map((_, i) => `#p${i}`).join(', '),
  ExpressionAttributeNames: {
    '#pk': registryTable.partitionKey,
    '#sk': registryTable.sortKey,
    ...Object.fromEntries(INSTANCE_PROJECTION.map((name, i) => [`#p${i}`, name])),
  },
} as const;

export class DynamoDbInstanceStore implements InstanceStore, ProtectionReader, StreamCounterStore {
  /**
   * @param probeShards - the prober's shard count (`REGISTRY_PROBE_SHARDS`): a service's guard state is the item of
   *   its shard. @default 1
   */
  constructor(
    protected readonly client: DynamoDBDocumentClient,
    protected readonly tableName: string,
    protected readonly probeShards = 1,
  ) {}

  async register(draft: Omit<Instance, 'revision'>, guard: WriteGuard): Promise<WriteResult> {
    // The fields only a registration sets go in the compact attribute; the rest one attribute each (items.ts).
    const fields: Item = { ...instanceAttributes(draft), lastWrite: 'register' satisfies InstanceWrite, lastWriter: writerOf(guard) };
    if (draft.leaseSeconds !== undefined) fields.leaseMs = draft.leaseSeconds * 1000;
    const ttl = ttlSeconds(draft);
    if (ttl !== undefined) fields.ttl = ttl;
    const update = new UpdateExpression();
    for (const [name, value] of Object.entries(fields)) update.set(name, value);
    // A replace leaves nothing of the item before: every attribute this registration has not (optional fields it
    // leaves out, a patch's fields, the prober's critical and removal state) goes. The revision is the one kept,
    // bumped below. The compact fields are never attributes of their own, so there is nothing of them to remove.
    for (const name of REPLACED_ATTRIBUTES) if (!(name in fields)) update.remove(name);
    // A new item starts at firstRevision (time-based, never reused); an existing one goes up by one.
    update.setExpression('revision', `if_not_exists(${update.name('revision')}, ${update.value(firstRevision(guard.nowMs) - 1)}) + ${update.value(1)}`);
    // Allowed: nothing there, ours, or an expired lease (the old one is gone). An admin may replace anything, so
    // its write has no condition at all, and no placeholder is built for one: DynamoDB refuses a request whose
    // ExpressionAttributeNames/Values hold an entry no expression uses (ValidationException "Value provided in
    // ExpressionAttributeNames unused in expressions"), which made every admin registration a 500.
    // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.ExpressionAttributeNames.html
    const condition =
      guard.owner === undefined
        ? undefined
        : [
            `attribute_not_exists(${update.name(registryTable.partitionKey)})`,
            `${update.name('owner')} = ${update.value(guard.owner)}`,
            `${update.name('leaseExpiresAtMs')} <= ${update.value(guard.nowMs)}`,
          ].join(' OR ');
    return this.conditionalUpdate(instanceItemKey(draft.service, draft.instanceId), update, condition);
  }

  async patch(key: InstanceKey, changes: InstanceChanges, guard: WriteGuard): Promise<WriteResult> {
    const update = new UpdateExpression();
    for (const [name, value] of Object.entries(changes)) if (value !== undefined) update.set(name, value);
    update
      .set('updatedAtMs', guard.nowMs)
      .set('lastWrite', 'patch' satisfies InstanceWrite)
      .set('lastWriter', writerOf(guard));
    update.setExpression('revision', `${update.name('revision')} + ${update.value(1)}`);
    return this.conditionalUpdate(instanceItemKey(key.service, key.instanceId), update, this.liveAndOwned(update, guard));
  }

  async heartbeat(key: InstanceKey, guard: WriteGuard): ReturnType<InstanceStore['heartbeat']> {
    const update = new UpdateExpression();
    // Only the lease moves: no revision bump, no rewrite of the rest, no read. TTL follows the lease plus grace.
    update.setExpression('leaseExpiresAtMs', `${update.value(guard.nowMs)} + ${update.name('leaseMs')}`);
    update.setExpression('ttl', `${update.value(Math.ceil(guard.nowMs / 1000) + TTL_GRACE_SECONDS)} + ${update.name('leaseSeconds')}`);
    // Marks the write as a renewal, so the stream filter keeps it from the publisher.
    update.set('lastWrite', 'heartbeat' satisfies InstanceWrite);
    // The answer needs the new expiry and the revision only, so the write returns only what it updated
    // (`UPDATED_NEW`), not the whole item: the revision is set to itself (it is always there, and does not move) so
    // that it is returned too.
    update.setExpression('revision', update.name('revision'));
    const conditions = [`${update.name('leaseExpiresAtMs')} > ${update.value(guard.nowMs)}`];
    if (guard.owner !== undefined) conditions.push(`${update.name('owner')} = ${update.value(guard.owner)}`);
    try {
      const out = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: instanceItemKey(key.service, key.instanceId),
          ...update.build(),
          ConditionExpression: conditions.join(' AND '),
          ReturnValues: 'UPDATED_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      const renewed = out.Attributes as Pick<Instance, 'leaseExpiresAtMs' | 'revision'>;
      return {
        ok: true as const,
        instance: { service: key.service, instanceId: key.instanceId, leaseExpiresAtMs: renewed.leaseExpiresAtMs, revision: renewed.revision },
      };
    } catch (error) {
      return refused(error);
    }
  }

  /**
   * Deletes a live instance. An expired one is refused (the domain answers 404): it is already gone for every read
   * and write, and the sweeper removes it as an expiry, so the change event says `Instance Expired`.
   *
   * Two writes, so the change history can name who deregistered: a stream REMOVE carries only the old image, and
   * DynamoDB records no caller for it (only TTL deletions carry a `userIdentity`). So the caller is first stamped on
   * the item (`lastWrite = deregister`, `lastWriter`; the stream filter drops that MODIFY, as it drops heartbeats),
   * then the item is deleted only if that stamp and the revision are still what the first write left, so the
   * DELETE's old image names this caller. A write in between (a heartbeat, a patch, the sweeper's mark) fails the
   * second condition and the pair is tried again. Cost: one more write unit per deregistration (rare beside
   * heartbeats); the alternatives were the API writing the history entry itself (a history failure would then fail
   * or silently lose it) or a second stream image of the delete, which DynamoDB does not have.
   */
  async remove(key: InstanceKey, guard: WriteGuard): Promise<WriteResult> {
    const itemKey = instanceItemKey(key.service, key.instanceId);
    for (let attempt = 1; ; attempt++) {
      const stamp = new UpdateExpression();
      // `removedAtMs`: the removal's time, so the stream publisher's event equals the one the registry published at once.
      stamp
        .set('lastWrite', 'deregister' satisfies InstanceWrite)
        .set('lastWriter', writerOf(guard))
        .set('removedAtMs', guard.nowMs);
      const stamped = await this.conditionalUpdate(itemKey, stamp, this.liveAndOwned(stamp, guard), 'ALL_NEW');
      if (!stamped.ok) return stamped;
      const revision = stamped.previous?.revision;
      const remove = new UpdateExpression();
      const conditions = [this.liveAndOwned(remove, guard)];
      // The last try deletes whatever stamp the item has (the history may then name the writer before): a
      // deregistration is never refused only because other writes kept landing in between.
      if (attempt < REMOVE_ATTEMPTS) {
        conditions.push(
          `${remove.name('lastWrite')} = ${remove.value('deregister' satisfies InstanceWrite)}`,
          `${remove.name('lastWriter')} = ${remove.value(writerOf(guard))}`,
        );
        if (revision !== undefined) conditions.push(`${remove.name('revision')} = ${remove.value(revision)}`);
      }
      const { ExpressionAttributeNames, ExpressionAttributeValues } = remove.build();
      try {
        const out = await this.client.send(
          new DeleteCommand({
            TableName: this.tableName,
            Key: itemKey,
            ConditionExpression: conditions.join(' AND '),
            ExpressionAttributeNames,
            ...(ExpressionAttributeValues && { ExpressionAttributeValues }),
            ReturnValues: 'ALL_OLD',
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        );
        return { ok: true, ...(out.Attributes && { previous: toInstance(out.Attributes) }) };
      } catch (error) {
        const refusal = refused(error);
        // Gone: that is the answer. Otherwise a write came in between (or the item just expired): stamp again, and
        // the stamp's own condition answers for an item no longer live and ours.
        if (!refusal.current || attempt >= REMOVE_ATTEMPTS) return refusal;
      }
    }
  }

  async get(key: InstanceKey): Promise<Instance | undefined> {
    const out = await this.client.send(new GetCommand({ TableName: this.tableName, Key: instanceItemKey(key.service, key.instanceId), ConsistentRead: true }));
    return out.Item ? toInstance(out.Item) : undefined;
  }

  /**
   * The mass-failure guard's state item of the service's prober shard as the prober wrote it (`setProtection`), or
   * `undefined` when it never wrote one. Strongly consistent, so a guard that just engaged or let go counts on the
   * next read; it is read only when an answer meets an expired lease (or is empty), so the 1 RRU is not paid per
   * discovery of a steady fleet.
   */
  async readProtection(service: string): Promise<GuardState | undefined> {
    const out = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: protectionItemKey(shardOf(service, this.probeShards)),
        ConsistentRead: true,
        ProjectionExpression: GUARD_FIELDS.map((_, i) => `#g${i}`).join(', '),
        ExpressionAttributeNames: Object.fromEntries(GUARD_FIELDS.map((name, i) => [`#g${i}`, name])),
      }),
    );
    return out.Item && toGuardState(out.Item);
  }

  async page(service: string, after: string | undefined, limit: number): Promise<InstancePage> {
    const partition = servicePartition(service);
    const out = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        ...PAGE_QUERY,
        ExpressionAttributeValues: { ':pk': partition, ':prefix': INSTANCE_PREFIX },
        Limit: limit,
        ...(after !== undefined && { ExclusiveStartKey: instanceItemKey(service, after) }),
      }),
    );
    const items = (out.Items ?? []).map(toInstance);
    const last = out.LastEvaluatedKey?.[registryTable.sortKey];
    return { items, ...(typeof last === 'string' && { lastId: last.slice(INSTANCE_PREFIX.length) }) };
  }

  async adjustSummary(service: string, delta: SummaryDelta): Promise<void> {
    if (delta.total === 0 && delta.healthy === 0) return;
    const { partitionKey, sortKey } = registryTable.servicesIndex;
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: summaryItemKey(service),
        // Index attributes are set on every update so an item recreated by ADD is always listed.
        UpdateExpression: 'SET #gpk = :gpk, #gsk = :service, #service = :service ADD #total :total, #healthy :healthy',
        ExpressionAttributeNames: { '#gpk': partitionKey, '#gsk': sortKey, '#service': 'service', '#total': 'total', '#healthy': 'healthy' },
        ExpressionAttributeValues: { ':gpk': SERVICES_PARTITION, ':service': service, ':total': delta.total, ':healthy': delta.healthy },
      }),
    );
  }

  /**
   * The stream's counting write (lambdas/domain/stream-counters.ts): the deltas of a batch's records and their last
   * sequence number as the service's high-water mark (`streamMark`), refused unless the stored mark is below the
   * first record counted, so a replayed batch never counts a record twice. A refusal returns the stored mark
   * (`ReturnValuesOnConditionCheckFailure`), so the caller re-sums without another read.
   */
  async addStreamCounts(service: string, delta: SummaryDelta, from: string, through: string): Promise<{ applied: true } | { applied: false; mark: string }> {
    const { partitionKey, sortKey } = registryTable.servicesIndex;
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: summaryItemKey(service),
          UpdateExpression: 'SET #gpk = :gpk, #gsk = :service, #service = :service, #mark = :through ADD #total :total, #healthy :healthy',
          ConditionExpression: 'attribute_not_exists(#mark) OR #mark < :from',
          ExpressionAttributeNames: {
            '#gpk': partitionKey,
            '#gsk': sortKey,
            '#service': 'service',
            '#total': 'total',
            '#healthy': 'healthy',
            '#mark': 'streamMark',
          },
          ExpressionAttributeValues: {
            ':gpk': SERVICES_PARTITION,
            ':service': service,
            ':total': delta.total,
            ':healthy': delta.healthy,
            ':through': through,
            ':from': from,
          },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { applied: true };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      return { applied: false, mark: String(error.Item ? unmarshall(error.Item).streamMark : '') };
    }
  }

  async listSummaries(after: string | undefined, limit: number): Promise<SummaryPage> {
    const index = registryTable.servicesIndex;
    const out = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: index.indexName,
        KeyConditionExpression: '#gpk = :gpk',
        FilterExpression: '#total > :zero',
        ExpressionAttributeNames: { '#gpk': index.partitionKey, '#total': 'total' },
        ExpressionAttributeValues: { ':gpk': SERVICES_PARTITION, ':zero': 0 },
        Limit: limit,
        ...(after !== undefined && {
          ExclusiveStartKey: { [index.partitionKey]: SERVICES_PARTITION, [index.sortKey]: after, ...summaryItemKey(after) },
        }),
      }),
    );
    const summaries = (out.Items ?? []).map((item) => ({
      service: String(item.service),
      total: Number(item.total),
      healthy: Math.max(0, Number(item.healthy)),
    }));
    const last = out.LastEvaluatedKey?.[index.sortKey];
    return { summaries, ...(typeof last === 'string' && { lastService: last }) };
  }

  /** A live (unexpired) instance owned by the guard's owner (any owner for an admin). */
  private liveAndOwned(update: UpdateExpression, guard: WriteGuard): string {
    const expiry = update.name('leaseExpiresAtMs');
    const conditions = [
      `attribute_exists(${update.name(registryTable.partitionKey)})`,
      `(attribute_not_exists(${expiry}) OR ${expiry} > ${update.value(guard.nowMs)})`,
    ];
    if (guard.owner !== undefined) conditions.push(`${update.name('owner')} = ${update.value(guard.owner)}`);
    return conditions.join(' AND ');
  }

  /** One conditional update; `previous` is the item before it (`ALL_OLD`) or, with `ALL_NEW`, after it. */
  private async conditionalUpdate(
    key: Item,
    update: UpdateExpression,
    condition: string | undefined,
    returnValues: 'ALL_OLD' | 'ALL_NEW' = 'ALL_OLD',
  ): Promise<WriteResult> {
    try {
      const out = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: key,
          ...update.build(),
          ...(condition !== undefined && { ConditionExpression: condition }),
          ReturnValues: returnValues,
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { ok: true, ...(out.Attributes && { previous: toInstance(out.Attributes) }) };
    } catch (error) {
      return refused(error);
    }
  }
}

/** Who a write is stamped with (`lastWriter`): the caller, as the change history names it. */
function writerOf(guard: WriteGuard): string {
  return guard.principal ?? guard.owner ?? 'unknown';
}

/** A failed condition becomes `{ ok: false, current }`; any other error propagates (it is a 5xx). */
function refused(error: unknown): { ok: false; current?: Instance } {
  if (!(error instanceof ConditionalCheckFailedException)) throw error;
  return { ok: false, ...(error.Item && { current: toInstance(unmarshall(error.Item)) }) };
}
