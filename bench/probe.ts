/**
 * `npm run bench:probe`: one prober round over N loopback targets (default 10,000: 85 % healthy, 10 % failing
 * with 500, 3 % slow past a 1 s timeout, 2 % closed ports), with the real probe client. Reports the probe phase
 * (targets/s) and a whole round through DynamoDB Local (read every instance, probe, write the changes), and the
 * prober's memory. Targets are served by a separate process, so the prober has its core to itself.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDbProberStore } from '../lambdas/adapters/dynamodb-prober-store.js';
import { createProbe } from '../lambdas/adapters/probe-client.js';
import { AddressPolicy } from '../lambdas/domain/address-policy.js';
import { draftInstance } from '../lambdas/domain/instance.js';
import pMap from 'p-map';
import { Prober } from '../lambdas/domain/prober.js';
import type { ProbeTarget } from '../lambdas/domain/prober-ports.js';
import { registerBody } from '@service-registry/contracts';
import { bootstrapTable } from '../local/bootstrap-table.js';
import { LOCAL_AWS_ENV, startDynamoDbLocal } from '../local/dynamodb-local.js';
import { load } from './stats.js';

const N = Number(process.env.BENCH_TARGETS ?? 10_000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 256); // the prober default

const child = spawn(process.execPath, ['--import', 'tsx', 'bench/probe-targets.ts'], { stdio: ['pipe', 'pipe', 'inherit'] });
const ports = JSON.parse((await createInterface({ input: child.stdout! })[Symbol.asyncIterator]().next()).value as string) as Record<string, number>;
const portOf = (i: number) => {
  const r = i % 100;
  return r < 85 ? ports.healthy! : r < 95 ? ports.failing! : r < 98 ? ports.slow! : ports.closed!;
};
const targets: ProbeTarget[] = Array.from({ length: N }, (_, i) => ({
  type: 'http',
  tls: false,
  address: '127.0.0.1',
  port: portOf(i),
  path: `/t/${i}`,
  timeoutSeconds: 1,
}));
const probe = createProbe(new AddressPolicy({ allowLoopback: true, allowCidrs: [] }), async () => []);
let db: Awaited<ReturnType<typeof startDynamoDbLocal>> | undefined;
try {
  // Probe phase alone (before DynamoDB Local starts, so Java's warm-up does not share the core).
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const outcomes = await pMap(targets, probe, { concurrency: CONCURRENCY });
  const probeMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const failed = outcomes.filter((o) => !o.ok).length;

  // A whole round through DynamoDB Local.
  db = await startDynamoDbLocal();
  const raw = new DynamoDBClient({ endpoint: db.endpoint, region: LOCAL_AWS_ENV.AWS_REGION, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  await bootstrapTable(raw, 'bench');
  const doc = DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } });
  const store = new DynamoDbProberStore(doc, 'bench');
  const now = Date.now();
  await load(N, 32, async (i) => {
    const service = `svc-${i % 20}`;
    const body = registerBody.parse({
      address: '127.0.0.1',
      port: portOf(i),
      healthCheck: { type: 'http', path: `/t/${i}`, timeoutSeconds: 1, intervalSeconds: 1 },
    });
    await store.register(draftInstance({ service, instanceId: `i-${i}` }, body, 'bench', now), { owner: 'bench', nowMs: now });
  });
  for (let s = 0; s < 20; s++) await store.adjustSummary(`svc-${s}`, { total: N / 20, healthy: N / 20 });
  // Every target stands for a host of its own (they share four loopback ports only because one process serves
  // them all), so the per-endpoint cap must not hold them back.
  const prober = new Prober({ store, probe }, { concurrency: CONCURRENCY, maxProbesPerEndpoint: N });
  const rounds = [];
  for (let r = 0; r < 4; r++) rounds.push(await prober.round()); // 1: counting, 2: 8,500 → passing, 3: 1,500 → critical, 4: steady
  const [first, toPassing, toCritical, steady] = rounds as [(typeof rounds)[0], (typeof rounds)[0], (typeof rounds)[0], (typeof rounds)[0]];
  const rss = process.memoryUsage().rss / 2 ** 20;
  raw.destroy();

  console.log(`bench:probe — ${N} targets, concurrency ${CONCURRENCY}, node ${process.version}`);
  console.log('| figure | value |');
  console.log('|---|---:|');
  console.log(`| probe phase: round time | ${(probeMs / 1000).toFixed(2)} s |`);
  console.log(`| probe phase: targets/s | ${((N / probeMs) * 1000).toFixed(0)} |`);
  console.log(`| probe phase: prober CPU (user+system) | ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s |`);
  console.log(`| failed targets (expected ${Math.round(N * 0.15)}) | ${failed} |`);
  console.log(`| full round incl. DynamoDB Local, nothing changes yet (${first.writes} writes) | ${(first.durationMs / 1000).toFixed(2)} s |`);
  console.log(`| full round, ${toPassing.transitions} instances turn passing (${toPassing.writes} writes) | ${(toPassing.durationMs / 1000).toFixed(2)} s |`);
  console.log(
    `| full round, ${toCritical.transitions} instances turn critical (${toCritical.writes} writes) | ${(toCritical.durationMs / 1000).toFixed(2)} s |`,
  );
  console.log(`| full round, steady state (${steady.writes} writes) | ${(steady.durationMs / 1000).toFixed(2)} s |`);
  console.log(`| prober process RSS | ${rss.toFixed(0)} MiB |`);
} finally {
  child.stdin?.end();
  child.kill();
  await db?.stop();
}
