/**
 * How services are split across prober shards: by a stable hash of the service name. The prober runs the services
 * of its shard; reads find the mass-failure guard's state of a service in the item of the service's shard.
 */

/**
 * FNV-1a: a stable, cheap hash to split services across shards.
 *
 * @example
 * shardOf('orders', 1); // => 0
 */
export function shardOf(service: string, shards: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < service.length; i++) hash = Math.imul(hash ^ service.charCodeAt(i), 0x01000193);
  return (hash >>> 0) % shards;
}
