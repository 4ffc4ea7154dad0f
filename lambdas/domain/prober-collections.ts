/**
 * Small collection helpers the prober uses that are not prober rules: grouping, and taking entries within a byte
 * budget. No AWS imports, no state.
 */

/**
 * Groups items by a key, keeping the order in which each key was first seen and, within a group, the items' order.
 *
 * @example
 * groupBy(['a1', 'b1', 'a2'], (s) => s[0]); // => Map { 'a' => ['a1', 'a2'], 'b' => ['b1'] }
 */
export function groupBy<T, K>(items: Iterable<T>, keyOf: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const group = groups.get(key);
    if (group) group.push(item);
    else groups.set(key, [item]);
  }
  return groups;
}

/**
 * Takes entries, in order, while their JSON fits in `budgetBytes` (and at most `max` of them); stops at the first
 * that does not fit. Each entry is counted as `"key":value,` and the record as its braces.
 *
 * @example
 * bounded([['a', 1], ['b', 2]], 12); // => { a: 1 }  (2 braces + 6 for "a":1, + 6 for "b":2 would be 14)
 */
export function bounded<V>(entries: Iterable<[string, V]>, budgetBytes: number, max = Infinity): Record<string, V> {
  const out: Record<string, V> = {};
  let bytes = 2;
  let count = 0;
  for (const [key, value] of entries) {
    const size = key.length + JSON.stringify(value).length + 4;
    if (count === max || bytes + size > budgetBytes) break;
    out[key] = value;
    bytes += size;
    count++;
  }
  return out;
}
