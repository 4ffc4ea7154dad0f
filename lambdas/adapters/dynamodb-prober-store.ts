/**
 * DynamoDB adapter of the prober's ports. Every write is conditional on what the round saw (`revision`,
 * `removal`), so a round can never clobber a concurrent re-registration, patch or heartbeat.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { InstanceKey, RemovalReason } from '../domain/instance.js';
import type { Handover, ProberLock, ProberStore, RoundSpacing } from '../domain/prober-ports.js';
import type { ProtectionState } from '../domain/protection.js';
import type { HealthState, ServiceSummary } from '@service-registry/contracts';
import { instanceItemKey, proberLockKey, protectionItemKey, registryTable, SERVICES_PARTITION, summaryItemKey } from '../table.js';
import { DynamoDbInstanceStore, toInstance } from './dynamodb-store.js';
import type { LastWrite } from '../stream-filter.js';
import { UpdateExpression } from './update-expression.js';

/** True when the error is a failed condition (the write was refused, not broken). */
async function conditional(write: () => Promise<unknown>): Promise<boolean> {
  try {
    await write();
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}

export class DynamoDbProberStore extends DynamoDbInstanceStore implements ProberStore {
  async listAllServices(): Promise<ServiceSummary[]> {
    const index = registryTable.servicesIndex;
    const out: ServiceSummary[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: index.indexName,
          KeyConditionExpression: '#gpk = :gpk',
          ExpressionAttributeNames: { '#gpk': index.partitionKey },
          ExpressionAttributeValues: { ':gpk': SERVICES_PARTITION },
          ...(start && { ExclusiveStartKey: start }),
        }),
      );
      for (const item of page.Items ?? []) out.push({ service: String(item.service), total: Number(item.total ?? 0), healthy: Number(item.healthy ?? 0) });
      start = page.LastEvaluatedKey;
    } while (start);
    return out;
  }

  changeHealth(key: InstanceKey, health: HealthState, criticalSinceMs: number | undefined, seenRevision: number, nowMs: number): Promise<boolean> {
    const u = new UpdateExpression()
      .set('health', health)
      .set('updatedAtMs', nowMs)
      .set('lastWrite', 'health' satisfies LastWrite);
    if (criticalSinceMs === undefined) u.remove('criticalSinceMs');
    else u.set('criticalSinceMs', criticalSinceMs);
    return this.bump(key, u, seenRevision);
  }

  /**
   * Sets `removal` without bumping the revision (nor `updatedAtMs`): the record a reader sees is still the one last
   * published, and the stream filter drops this write (`lastWrite = removal`). Conditional on the revision the round
   * saw, so a re-registration or patch in between wins.
   */
  markForRemoval(key: InstanceKey, reason: RemovalReason, seenRevision: number): Promise<boolean> {
    const update = new UpdateExpression().set('removal', reason).set('lastWrite', 'removal' satisfies LastWrite);
    const condition = `${update.name('revision')} = ${update.value(seenRevision)}`;
    return conditional(() =>
      this.client.send(
        new UpdateCommand({ TableName: this.tableName, Key: instanceItemKey(key.service, key.instanceId), ...update.build(), ConditionExpression: condition }),
      ),
    );
  }

  async deleteMarked(key: InstanceKey, reason: RemovalReason, nowMs: number) {
    // An expired lease is deleted only if it is still expired: a round passes between the mark and the delete, and
    // a heartbeat judged by a clock a little behind the prober's may have renewed it meanwhile.
    const stillExpired = reason === 'expired';
    try {
      const out = await this.client.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: instanceItemKey(key.service, key.instanceId),
          ConditionExpression: stillExpired ? '#removal = :reason AND #expiry <= :now' : '#removal = :reason',
          ExpressionAttributeNames: { '#removal': 'removal', ...(stillExpired && { '#expiry': 'leaseExpiresAtMs' }) },
          ExpressionAttributeValues: { ':reason': reason, ...(stillExpired && { ':now': nowMs }) },
          ReturnValues: 'ALL_OLD',
        }),
      );
      return out.Attributes ? toInstance(out.Attributes) : undefined;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }

  unmarkRenewed(key: InstanceKey, nowMs: number): Promise<boolean> {
    return conditional(() =>
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: instanceItemKey(key.service, key.instanceId),
          UpdateExpression: 'REMOVE #removal',
          ConditionExpression: '#removal = :expired AND #expiry > :now',
          ExpressionAttributeNames: { '#removal': 'removal', '#expiry': 'leaseExpiresAtMs' },
          ExpressionAttributeValues: { ':expired': 'expired' satisfies RemovalReason, ':now': nowMs },
        }),
      ),
    );
  }

  resetSummary(service: string, actual: { total: number; healthy: number }, seen: { total: number; healthy: number }): Promise<boolean> {
    return conditional(() =>
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: summaryItemKey(service),
          UpdateExpression: 'SET #total = :total, #healthy = :healthy',
          ConditionExpression: '#total = :seenTotal AND #healthy = :seenHealthy',
          ExpressionAttributeNames: { '#total': 'total', '#healthy': 'healthy' },
          ExpressionAttributeValues: { ':total': actual.total, ':healthy': actual.healthy, ':seenTotal': seen.total, ':seenHealthy': seen.healthy },
        }),
      ),
    );
  }

  async setProtection(shard: number, state: ProtectionState): Promise<void> {
    await this.client.send(new PutCommand({ TableName: this.tableName, Item: { ...protectionItemKey(shard), kind: 'protection', shard, ...state } }));
  }

  async getProtection(shard: number): Promise<ProtectionState | undefined> {
    const out = await this.client.send(new GetCommand({ TableName: this.tableName, Key: protectionItemKey(shard), ConsistentRead: true }));
    const item = out.Item;
    if (!item) return undefined;
    const num = (value: unknown) => (typeof value === 'number' ? value : undefined);
    return {
      engaged: item.engaged === true,
      probeEngaged: item.probeEngaged === true,
      leaseEngaged: item.leaseEngaged === true,
      failedTargets: num(item.failedTargets) ?? 0,
      probedTargets: num(item.probedTargets) ?? 0,
      expiredLeases: num(item.expiredLeases) ?? 0,
      leasedInstances: num(item.leasedInstances) ?? 0,
      atMs: num(item.atMs) ?? 0,
      ...(num(item.leaseSinceMs) !== undefined && { leaseSinceMs: num(item.leaseSinceMs) }),
      ...(num(item.leaseCutoffMs) !== undefined && { leaseCutoffMs: num(item.leaseCutoffMs) }),
    };
  }

  /** An update that bumps `revision`, only if the item still has the revision the round saw. */
  private bump(key: InstanceKey, update: UpdateExpression, seenRevision: number): Promise<boolean> {
    update.setExpression('revision', `${update.name('revision')} + ${update.value(1)}`);
    const condition = `${update.name('revision')} = ${update.value(seenRevision)}`;
    return conditional(() =>
      this.client.send(
        new UpdateCommand({ TableName: this.tableName, Key: instanceItemKey(key.service, key.instanceId), ...update.build(), ConditionExpression: condition }),
      ),
    );
  }
}

/**
 * The prober's lock: one item per shard. An owner holds it until `untilMs` (its invocation's deadline), so two
 * overlapping invocations never probe the same shard; a crashed owner's lock simply runs out.
 *
 * `holder` is an optional identity of the process that stays the same across its restarts (the local runtime sets
 * one per data directory; in AWS there is none). It is stored with the lock, so a restarted process may take over
 * the lock its dead predecessor still holds instead of waiting for it to run out (see `acquire`).
 */
export class DynamoDbProberLock implements ProberLock {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly shard: number,
    private readonly holder?: string,
  ) {}

  async acquire(
    owner: string,
    untilMs: number,
    nowMs: number,
    takeOverOwnHolder = false,
    round?: RoundSpacing,
  ): Promise<{ acquired: boolean; handover?: Handover }> {
    // Free, run out, or already ours; or (a restarted process) held under our own holder identity.
    const conditions = ['attribute_not_exists(#owner)', '#until < :now', '#owner = :owner'];
    const names: Record<string, string> = { '#owner': 'owner', '#until': 'untilMs', '#holder': 'holder' };
    const values: Record<string, unknown> = { ':owner': owner, ':until': untilMs, ':now': nowMs };
    if (this.holder !== undefined) {
      values[':holder'] = this.holder;
      if (takeOverOwnHolder) conditions.push('#holder = :holder');
    }
    // One round per invocation: the last round's start (`lastRoundAtMs`) must be old enough, and this one's is kept.
    let condition = conditions.join(' OR ');
    let set = 'SET #owner = :owner, #until = :until';
    if (round) {
      names['#last'] = 'lastRoundAtMs';
      values[':notBefore'] = round.notBeforeMs;
      condition = `(${condition}) AND (attribute_not_exists(#last) OR #last <= :notBefore)`;
      set += ', #last = :now';
    }
    try {
      const out = await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: proberLockKey(this.shard),
          UpdateExpression: this.holder === undefined ? `${set} REMOVE #holder` : `${set}, #holder = :holder`,
          ConditionExpression: condition,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_OLD',
        }),
      );
      const old = out.Attributes;
      // `handover` holds the streaks (as it always has); the lease window and the outcomes sit beside it.
      const handover: Handover | undefined = old?.handover
        ? { streaks: old.handover as Handover['streaks'], ...(old.expiries && { expiries: old.expiries }), ...(old.outcomes && { outcomes: old.outcomes }) }
        : undefined;
      return { acquired: true, ...(handover && { handover }) };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return { acquired: false };
      throw error;
    }
  }

  async extend(owner: string, untilMs: number): Promise<boolean> {
    return conditional(() =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: proberLockKey(this.shard),
          UpdateExpression: 'SET #until = :until',
          ConditionExpression: '#owner = :owner',
          ExpressionAttributeNames: { '#owner': 'owner', '#until': 'untilMs' },
          ExpressionAttributeValues: { ':owner': owner, ':until': untilMs },
        }),
      ),
    );
  }

  async release(owner: string, handover: Handover): Promise<void> {
    await conditional(() =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: proberLockKey(this.shard),
          UpdateExpression: 'SET #until = :zero, #handover = :streaks, #expiries = :expiries, #outcomes = :outcomes',
          ConditionExpression: '#owner = :owner',
          ExpressionAttributeNames: { '#owner': 'owner', '#until': 'untilMs', '#handover': 'handover', '#expiries': 'expiries', '#outcomes': 'outcomes' },
          ExpressionAttributeValues: {
            ':owner': owner,
            ':zero': 0,
            ':streaks': handover.streaks,
            ':expiries': handover.expiries ?? {},
            ':outcomes': handover.outcomes ?? {},
          },
        }),
      ),
    );
  }
}
