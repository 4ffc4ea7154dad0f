import { streamFilterPatterns } from '../../lambdas/stream-filter.js';
import { matchesPattern, passesFilters } from '../../local/event-pattern.js';

const record = (eventName: string, sk: string, lastWrite?: string, pk = 'SVC#orders') => ({
  eventName,
  dynamodb: { Keys: { pk: { S: pk }, sk: { S: sk } }, ...(lastWrite && { NewImage: { lastWrite: { S: lastWrite } } }) },
});

describe('stream filter criteria (shared by the CDK mapping and the local poller)', () => {
  it('keeps registrations, patches, health changes and removals of instances', () => {
    expect(passesFilters(streamFilterPatterns, record('INSERT', 'INST#a', 'register'))).toBe(true);
    expect(passesFilters(streamFilterPatterns, record('MODIFY', 'INST#a', 'patch'))).toBe(true);
    expect(passesFilters(streamFilterPatterns, record('MODIFY', 'INST#a', 'health'))).toBe(true);
    expect(passesFilters(streamFilterPatterns, record('MODIFY', 'INST#a', 'register'))).toBe(true);
    expect(passesFilters(streamFilterPatterns, record('REMOVE', 'INST#a'))).toBe(true);
  });

  it('drops heartbeat-only writes, removal marks and bookkeeping items', () => {
    expect(passesFilters(streamFilterPatterns, record('MODIFY', 'INST#a', 'heartbeat'))).toBe(false);
    expect(passesFilters(streamFilterPatterns, record('MODIFY', 'INST#a', 'removal'))).toBe(false);
    expect(passesFilters(streamFilterPatterns, record('MODIFY', '#SUMMARY', 'x'))).toBe(false);
    expect(passesFilters(streamFilterPatterns, record('MODIFY', 'LOCK', undefined, 'PROBER#0'))).toBe(false);
  });

  it('keeps the guard state item of every prober shard', () => {
    expect(passesFilters(streamFilterPatterns, record('INSERT', 'PROTECTION#0', undefined, 'REGISTRY'))).toBe(true);
    expect(passesFilters(streamFilterPatterns, record('MODIFY', 'PROTECTION#1', undefined, 'REGISTRY'))).toBe(true);
    expect(passesFilters(streamFilterPatterns, record('MODIFY', 'PROTECTION#17', undefined, 'REGISTRY'))).toBe(true);
  });

  it('treats a missing field as no match, as AWS does', () => {
    expect(matchesPattern({ a: [{ 'anything-but': ['x'] }] }, {})).toBe(false);
    expect(matchesPattern({ a: [{ prefix: 'p' }] }, { a: 'px' })).toBe(true);
  });
});
