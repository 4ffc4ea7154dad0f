/**
 * The history panel's list, without a browser: a refresh puts the newest page on top of what is shown (keeping the
 * older pages loaded and their cursor), never shows an entry twice, and starts again from the newest page when a
 * burst of changes left a gap; "Load more" appends the next page with its cursor. The registry's own principals
 * are named as such.
 */
import type { HistoryEntry } from '@service-registry/contracts';
import { systemPrincipal, withNewest, withOlder } from '../../console/src/state.js';

const entry = (revision: number, instanceId = 'orders-1'): HistoryEntry => ({
  service: 'orders',
  instanceId,
  revision,
  detailType: 'Instance Updated',
  changed: ['weight'],
  reason: 'patched',
  principal: 'orders-svc',
  time: new Date(revision * 1000).toISOString(),
});
const page = (revisions: number[], cursor?: string) => ({ service: 'orders', entries: revisions.map((r) => entry(r)), ...(cursor && { cursor }) });
const revisionsOf = (list: { entries: readonly HistoryEntry[] }) => list.entries.map((e) => e.revision);

describe('the history list', () => {
  it('shows the first page as it came, with its cursor', () => {
    expect(withNewest(undefined, page([5, 4, 3], 'c1'))).toEqual({ entries: page([5, 4, 3]).entries, cursor: 'c1' });
  });

  it('puts new changes on top without repeating one, and keeps the older pages and their cursor', () => {
    const held = withOlder(withNewest(undefined, page([5, 4], 'c1')), page([3, 2], 'c2'));
    const after = withNewest(held, page([7, 6, 5, 4], 'other'));
    expect(revisionsOf(after)).toEqual([7, 6, 5, 4, 3, 2]);
    expect(after.cursor).toBe('c2');
  });

  it('starts again from the newest page when it has nothing in common with what is shown and more behind it', () => {
    const held = withNewest(undefined, page([3, 2, 1]));
    const after = withNewest(held, page([30, 29, 28], 'c-newest'));
    expect(revisionsOf(after)).toEqual([30, 29, 28]);
    expect(after.cursor).toBe('c-newest');
  });

  it('keeps what is shown when the newest page is all new but is the whole history', () => {
    expect(revisionsOf(withNewest(withNewest(undefined, page([2, 1])), page([4, 3])))).toEqual([4, 3, 2, 1]);
  });

  it('appends the next page with its cursor, and drops the cursor on the last page', () => {
    const first = withNewest(undefined, page([5, 4], 'c1'));
    const second = withOlder(first, page([4, 3], 'c2'));
    expect(revisionsOf(second)).toEqual([5, 4, 3]);
    expect(second.cursor).toBe('c2');
    const last = withOlder(second, page([2, 1]));
    expect(revisionsOf(last)).toEqual([5, 4, 3, 2, 1]);
    expect(last).not.toHaveProperty('cursor');
  });
});

describe('principals in the history', () => {
  it("names the prober, the sweeper and DynamoDB's TTL, and leaves callers as they are", () => {
    expect(systemPrincipal('registry:prober')).toBe('health prober');
    expect(systemPrincipal('registry:sweeper')).toBe('lease sweeper');
    expect(systemPrincipal('registry:ttl')).toBe('DynamoDB TTL');
    expect(systemPrincipal('platform-admin')).toBeUndefined();
    expect(systemPrincipal('toString')).toBeUndefined(); // a caller's name, not an inherited property
  });
});
