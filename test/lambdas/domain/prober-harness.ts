/**
 * A prober test bed against the run's DynamoDB Local: a table of its own, a fake clock, a scripted probe (outcome
 * per port, optionally slow), a count of writes, and the registry's own use cases on the same store and clock.
 */
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDbProberStore } from '../../../lambdas/adapters/dynamodb-prober-store.js';
import { AddressPolicy } from '../../../lambdas/domain/address-policy.js';
import type { Caller } from '../../../lambdas/domain/caller.js';
import { draftInstance } from '../../../lambdas/domain/instance.js';
import { Prober, type ProberOptions } from '../../../lambdas/domain/prober.js';
import type { ProbeOutcome, ProbeTarget } from '../../../lambdas/domain/prober-ports.js';
import type { ProtectionOptions } from '../../../lambdas/domain/protection.js';
import { Registry } from '../../../lambdas/domain/registry.js';
import { registerBody } from '@service-registry/contracts';
import { instanceItemKey, protectionItemKey } from '../../../lambdas/table.js';
import { bootstrapTable } from '../../../local/bootstrap-table.js';
import { streamCounting } from './stream-catch-up.js';

const WRITES = new Set(['PutItemCommand', 'UpdateItemCommand', 'DeleteItemCommand', 'BatchWriteItemCommand', 'TransactWriteItemsCommand']);

export const OWNER: Caller = { principal: 'owner', services: ['*'], read: ['*'], admin: false };

export async function setup() {
  const tableName = `prober-${randomUUID()}`;
  const raw = new DynamoDBClient({
    endpoint: process.env.TEST_DYNAMODB_ENDPOINT,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const writes: string[] = [];
  raw.middlewareStack.add((next, context) => async (args) => {
    if (WRITES.has(context.commandName as string)) writes.push(context.commandName as string);
    return next(args);
  });
  await bootstrapTable(raw, tableName);
  const doc = DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } });
  const store = new DynamoDbProberStore(doc, tableName);
  let now = Date.UTC(2026, 10, 24, 12);
  const clock = () => now;
  /** Outcome per port; a missing port fails. */
  const up = new Map<number, boolean>();
  /** Ports whose probe takes this long (of the fake clock) before it answers, like a target hitting its timeout. */
  const slow = new Map<number, number>();
  const probed: ProbeTarget[] = [];
  const probe = async (t: ProbeTarget): Promise<ProbeOutcome> => {
    probed.push(t);
    const delay = slow.get(t.port);
    if (delay !== undefined) {
      await Promise.resolve();
      now += delay;
      return { ok: false, reason: 'timeout' };
    }
    return up.get(t.port) ? { ok: true } : { ok: false, reason: 'down' };
  };
  /** Registers straight through the store (one write, as the registry makes; the stream counts it). */
  const register = async (service: string, id: string, body: object) => {
    const draft = draftInstance({ service, instanceId: id }, registerBody.parse({ address: '10.0.0.1', port: 80, ...body }), 'owner', now);
    await store.register(draft, { owner: 'owner', nowMs: now });
  };
  /** The publisher's counting of every write so far (its own clients: `writes` leaves it out). */
  const catchUp = streamCounting(tableName);
  /**
   * The prober's view of the store: it finds services through their counter items, which the stream publisher
   * writes within a poll of the first registration; here each round's listing first catches up with the stream.
   */
  const proberStore: DynamoDbProberStore = Object.assign(Object.create(store) as DynamoDbProberStore, {
    listAllServices: async () => {
      await catchUp();
      return store.listAllServices();
    },
  });
  /** The registry's own use cases on the same store and clock. */
  const registry = new Registry({ store, addressPolicy: new AddressPolicy({ allowLoopback: true, allowCidrs: [] }), resolve: async () => [], clock });
  const get = async (service: string, id: string) =>
    (await doc.send(new GetCommand({ TableName: tableName, Key: instanceItemKey(service, id), ConsistentRead: true }))).Item;
  const protectionItem = async (shard = 0) =>
    (await doc.send(new GetCommand({ TableName: tableName, Key: protectionItemKey(shard), ConsistentRead: true }))).Item;
  /** A service's counters once the stream publisher has counted every write so far. */
  const summary = async (service: string) => {
    await catchUp();
    return (await store.listAllServices()).find((s) => s.service === service);
  };
  return {
    store,
    doc,
    tableName,
    raw,
    writes,
    up,
    slow,
    probed,
    register,
    registry,
    get,
    protectionItem,
    summary,
    catchUp,
    clock,
    advance: (ms: number) => (now += ms),
    prober: (options: Partial<Omit<ProberOptions, 'protection'>> & { protection?: Partial<ProtectionOptions> } = {}) =>
      new Prober({ store: proberStore, probe, clock }, { concurrency: 8, ...options }),
    /** A registry whose reads look for the guard's state of `shards` prober shards. */
    shardedRegistry: (shards: number) =>
      new Registry({
        store: new DynamoDbProberStore(doc, tableName, shards),
        protection: new DynamoDbProberStore(doc, tableName, shards),
        addressPolicy: new AddressPolicy({ allowLoopback: true, allowCidrs: [] }),
        resolve: async () => [],
        clock,
      }),
  };
}

/** A health check probed every `intervalSeconds` (1 by default), thresholds 2 up / 3 down unless given. */
export const check = (extra: object = {}) => ({ healthCheck: { type: 'http', intervalSeconds: 1, healthyThreshold: 2, unhealthyThreshold: 3, ...extra } });
