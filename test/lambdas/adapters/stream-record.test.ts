/** A removal's time in the stream mapping: a deregistration's own stamp, so the fast path and the publisher agree. */
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { toStoredChange } from '../../../lambdas/adapters/stream-record.js';
import { instanceItemKey } from '../../../lambdas/table.js';

const T = Date.UTC(2026, 10, 24, 12);
const item = (extra: Record<string, unknown>) => ({
  ...instanceItemKey('orders', 'a'),
  service: 'orders',
  instanceId: 'a',
  address: '10.0.0.1',
  port: 80,
  revision: 5,
  updatedAtMs: T - 60_000,
  ...extra,
});
const removal = (old: Record<string, unknown>, principalId?: string): DynamoDBRecord =>
  ({
    eventName: 'REMOVE',
    dynamodb: { Keys: marshall(instanceItemKey('orders', 'a')), OldImage: marshall(old), ApproximateCreationDateTime: T / 1000 - 30 },
    ...(principalId && { userIdentity: { type: 'Service', principalId } }),
  }) as DynamoDBRecord;
const timeOf = (record: DynamoDBRecord) => (toStoredChange(record) as { atMs: number }).atMs;

describe('toStoredChange of a removal', () => {
  it("takes a deregistration's time from the removedAtMs it stamped before the delete", () => {
    expect(timeOf(removal(item({ lastWrite: 'deregister', removedAtMs: T })))).toBe(T);
  });

  it('keeps the stamp when another write landed between the stamp and the last try of the delete', () => {
    expect(timeOf(removal(item({ lastWrite: 'patch', removedAtMs: T })))).toBe(T);
  });

  it("stamps the sweeper's and TTL's deletes when published, whatever stamp an earlier deregistration left", () => {
    const before = Date.now();
    expect(timeOf(removal(item({ lastWrite: 'removal', removal: 'expired', removedAtMs: T })))).toBeGreaterThanOrEqual(before);
    expect(timeOf(removal(item({ lastWrite: 'deregister', removedAtMs: T }), 'dynamodb.amazonaws.com'))).toBeGreaterThanOrEqual(before);
    expect(timeOf(removal(item({ lastWrite: 'heartbeat' })))).toBeGreaterThanOrEqual(before);
  });
});
