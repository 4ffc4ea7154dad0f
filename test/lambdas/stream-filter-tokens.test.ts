/**
 * Token items never become change events: the stream filter (the event source mapping's criteria in AWS, the
 * stream stand-in's locally) drops every write to one — create, TTL expiry, revoke — before the publisher runs,
 * while an instance write still passes; and should one reach the publisher anyway, it maps to nothing.
 */
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { toStoredChange } from '../../lambdas/adapters/stream-record.js';
import { streamFilterPatterns } from '../../lambdas/stream-filter.js';
import { instanceItemKey, tokenItemKey } from '../../lambdas/table.js';
import { passesFilters } from '../../local/event-pattern.js';

const image = (item: Record<string, unknown>) => marshall(item) as NonNullable<DynamoDBRecord['dynamodb']>['NewImage'];
const tokenItem = {
  ...tokenItemKey('0123456789abcdef'),
  tokenId: '0123456789abcdef',
  principal: 'p',
  services: [],
  read: ['*'],
  admin: false,
  hash: 'ab',
  createdAtMs: 1,
  createdBy: 'root',
};
const record = (eventName: 'INSERT' | 'MODIFY' | 'REMOVE', item: Record<string, unknown>, keys: Record<string, unknown>): DynamoDBRecord => ({
  eventName,
  dynamodb: {
    Keys: image(keys),
    ...(eventName !== 'REMOVE' && { NewImage: image(item) }),
    ...(eventName !== 'INSERT' && { OldImage: image(item) }),
  },
});

describe('token items and the stream filter', () => {
  it.each(['INSERT', 'MODIFY', 'REMOVE'] as const)('drops a token %s record', (eventName) => {
    const token = record(eventName, tokenItem, tokenItemKey('0123456789abcdef'));
    expect(passesFilters(streamFilterPatterns, token)).toBe(false);
    expect(toStoredChange(token)).toEqual({ kind: 'other' });
  });

  it('still passes an instance INSERT (the filter is not simply closed)', () => {
    const key = instanceItemKey('orders', 'a');
    expect(passesFilters(streamFilterPatterns, record('INSERT', { ...key, lastWrite: 'register' }, key))).toBe(true);
  });
});
