/**
 * Scale figures of `npm run bench`: BENCH_ONE_SERVICE instances (default 10,000) registered in one service through
 * the bulk route (`PUT /v1/services/{service}/instances`, 100 per request) and fully listed through pagination;
 * BENCH_ACROSS instances (default 100,000) registered across 100 services the same way; BENCH_SINGLE instances
 * (default 1,000) registered one request each, for the per-request comparison; the local runtime's memory (Node RSS;
 * DynamoDB Local runs in its own Java process), and how long after the last registration the service listing shows every
 * service with its full count (the counters follow from the stream). Beside the first figure, its floor: the same number of conditional
 * PutItems of a registered item's copy (register's condition, `ALL_OLD`; bench/floor-requests.ts), sent raw with the
 * SDK by this process at the same 32 writes in flight — what DynamoDB Local on this machine allows at best.
 *
 * Bulk requests run BENCH_BULK_CONCURRENCY at a time (default 2); each keeps the registry's bulk concurrency (16)
 * conditional writes in flight, so 32 writes are in flight in all, as with the single requests at c=32.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { RegistryClient, type RegistrationItem } from '@service-registry/client';
import { BULK_MAX_ITEMS } from '@service-registry/contracts';
import { localClientConfig } from '../local/dynamodb-local.js';
import { startLocalRuntime } from '../local/runtime.js';
import { instanceItemKey } from '../lambdas/table.js';
import { COMPACT_ATTRIBUTE, COMPACT_FIELDS } from '../lambdas/adapters/items.js';
import { conditionalPut, storedItems } from './floor-requests.js';
import { load } from './stats.js';

const ONE = Number(process.env.BENCH_ONE_SERVICE ?? 10_000);
const ACROSS = Number(process.env.BENCH_ACROSS ?? 100_000);
const SINGLE = Number(process.env.BENCH_SINGLE ?? 1_000);
const BULK_CONCURRENCY = Number(process.env.BENCH_BULK_CONCURRENCY ?? 2);
process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';
const runtime = await startLocalRuntime({ port: 0, prober: false });
const client = new RegistryClient({ baseUrl: runtime.url, timeoutMs: 30_000 });
const body = (i: number) => ({ address: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, port: 8080, leaseSeconds: 86_400 });

/** Registers `ids` of `service` in requests of 100, failing on any refused item (a bench must not count failures). */
async function registerInBulk(service: string, ids: readonly number[]): Promise<void> {
  const items: RegistrationItem[] = ids.map((i) => ({ instanceId: `i-${i}`, ...body(i) }));
  const { results } = await client.registerMany(service, items);
  const refused = results.find((result) => result.status >= 300);
  if (refused) throw new Error(`${service}/${refused.instanceId} answered ${refused.status}`);
}

/** `total` instances as batches of ids: batch `b` holds the ids `b * 100` onwards, all of one service. */
const batches = (total: number, perService: (i: number) => number = () => 0) => {
  const groups = new Map<string, number[]>();
  for (let i = 0; i < total; i++) {
    const key = `${perService(i)}`;
    const group = groups.get(key) ?? [];
    group.push(i);
    groups.set(key, group);
  }
  return [...groups.entries()].flatMap(([service, ids]) =>
    Array.from({ length: Math.ceil(ids.length / BULK_MAX_ITEMS) }, (_, b) => ({ service, ids: ids.slice(b * BULK_MAX_ITEMS, (b + 1) * BULK_MAX_ITEMS) })),
  );
};

try {
  const one = batches(ONE);
  const reg1 = await load(one.length, BULK_CONCURRENCY, async (b) => registerInBulk('big', one[b]!.ids));
  const t0 = performance.now();
  const { instances } = await client.discoverAll('big');
  const listMs = performance.now() - t0;
  if (instances.length !== ONE) throw new Error(`listed ${instances.length} of ${ONE}`);
  // The floor: ONE raw conditional PutItems into a service of their own, 32 in flight.
  const raw = new DynamoDBClient(localClientConfig(runtime.dynamoEndpoint));
  const template = [...(await storedItems(raw, runtime.tableName, 'big')).values()][0]!;
  const floor = await load(ONE, 32, async (i) => {
    const key = instanceItemKey('floor', `i-${i}`);
    // The copy is of service `floor`, instance `i-<n>`: its key, and the same fields in its compact attribute.
    const record = JSON.parse(template[COMPACT_ATTRIBUTE]!.S!) as unknown[];
    record[COMPACT_FIELDS.indexOf('service')] = 'floor';
    record[COMPACT_FIELDS.indexOf('instanceId')] = `i-${i}`;
    const item = { ...template, pk: { S: key.pk }, sk: { S: key.sk }, [COMPACT_ATTRIBUTE]: { S: JSON.stringify(record) } };
    await raw.send(conditionalPut(runtime.tableName, item, String(template.owner?.S ?? 'anonymous'), Date.now(), 1, 86_400));
  });
  raw.destroy();
  const single = await load(SINGLE, 32, async (i) => void (await client.register('single', `i-${i}`, body(i))));
  const across = batches(ACROSS, (i) => i % 100);
  const reg2 = await load(across.length, BULK_CONCURRENCY, async (b) => registerInBulk(`svc-${across[b]!.service}`, across[b]!.ids));
  // The service counters follow from the stream (the publisher derives them), so the listing trails the writes: time
  // until it shows every service with its full count.
  const expected = new Map<string, number>([
    ['big', ONE],
    ['single', SINGLE],
  ]);
  for (const { service, ids } of across) expected.set(`svc-${service}`, (expected.get(`svc-${service}`) ?? 0) + ids.length);
  const listedAt = performance.now();
  let services = await client.listServices();
  const complete = () => [...expected].every(([name, total]) => services.some((s) => s.service === name && s.total === total));
  while (!complete()) {
    if (performance.now() - listedAt > Number(process.env.BENCH_CONVERGE_MS ?? 600_000)) {
      const wrong = [...expected].filter(([name, total]) => !services.some((s) => s.service === name && s.total === total));
      const seen = (name: string) => services.find((s) => s.service === name)?.total ?? 'unlisted';
      throw new Error(
        `the service counters did not converge in time: ${wrong
          .slice(0, 5)
          .map(([n, t]) => `${n} ${seen(n)}/${t}`)
          .join(', ')}`,
      );
    }
    await new Promise((r) => setTimeout(r, 250));
    services = await client.listServices();
  }
  const convergedMs = performance.now() - listedAt;
  const rss = process.memoryUsage().rss / 2 ** 20;
  const rate = (count: number, ms: number) => `${(ms / 1000).toFixed(1)} s, ${((count / ms) * 1000).toFixed(0)}/s`;
  console.log(`bench:scale — node ${process.version}`);
  console.log('| figure | value |');
  console.log('|---|---:|');
  console.log(`| register ${ONE} instances in one service (bulk, 100 per request, c=${BULK_CONCURRENCY}) | ${rate(ONE, reg1.wallMs)} |`);
  console.log(`| floor: ${ONE} conditional PutItems, raw SDK (c=32) | ${rate(ONE, floor.wallMs)} |`);
  console.log(`| list all ${ONE} (pages of 1,000) | ${(listMs / 1000).toFixed(2)} s |`);
  console.log(`| register ${SINGLE} instances one request each (c=32) | ${rate(SINGLE, single.wallMs)} |`);
  console.log(`| register ${ACROSS} instances across 100 services (bulk, 100 per request, c=${BULK_CONCURRENCY}) | ${rate(ACROSS, reg2.wallMs)} |`);
  console.log(`| service counters complete in the listing, after the last registration | ${(convergedMs / 1000).toFixed(1)} s |`);
  console.log(`| services listed | ${services.length} |`);
  console.log(`| local runtime RSS (Node, after) | ${rss.toFixed(0)} MiB |`);
} finally {
  await runtime.stop();
}
