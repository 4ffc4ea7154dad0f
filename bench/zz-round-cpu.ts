import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDbProberLock, DynamoDbProberStore } from '../lambdas/adapters/dynamodb-prober-store.js';
import { createProbe } from '../lambdas/adapters/probe-client.js';
import { AddressPolicy } from '../lambdas/domain/address-policy.js';
import { draftInstance } from '../lambdas/domain/instance.js';
import { Prober } from '../lambdas/domain/prober.js';
import { runRound } from '../lambdas/domain/prober-loop.js';
import { registerBody } from '@service-registry/contracts';
import { bootstrapTable } from '../local/bootstrap-table.js';
import { LOCAL_AWS_ENV, startDynamoDbLocal } from '../local/dynamodb-local.js';
import { load } from './stats.js';

const N = Number(process.env.BENCH_TARGETS ?? 1000);
const child = spawn(process.execPath, ['--import', 'tsx', 'bench/probe-targets.ts'], { stdio: ['pipe', 'pipe', 'inherit'] });
const ports = JSON.parse((await createInterface({ input: child.stdout! })[Symbol.asyncIterator]().next()).value as string) as Record<string, number>;
const probe = createProbe(new AddressPolicy({ allowLoopback: true, allowCidrs: [] }), async () => []);
const db = await startDynamoDbLocal();
try {
  const raw = new DynamoDBClient({ endpoint: db.endpoint, region: LOCAL_AWS_ENV.AWS_REGION, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  await bootstrapTable(raw, 'bench');
  const doc = DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } });
  const store = new DynamoDbProberStore(doc, 'bench');
  let now = Date.now();
  await load(N, 32, async (i) => {
    const body = registerBody.parse({ address: '127.0.0.1', port: ports.healthy!, healthCheck: { type: 'http', path: `/t/${i}`, timeoutSeconds: 1, intervalSeconds: 10 } });
    await store.register(draftInstance({ service: `svc-${i % 10}`, instanceId: `i-${i}` }, body, 'bench', now), { owner: 'bench', nowMs: now });
  });
  for (let s = 0; s < 10; s++) await store.adjustSummary(`svc-${s}`, { total: N / 10, healthy: N / 10 });
  const prober = new Prober({ store, probe, clock: () => now }, { maxProbesPerEndpoint: N });
  const lock = new DynamoDbProberLock(doc, 'bench', 0);
  const one = async () => {
    now += 10_000;
    return runRound(prober, lock, () => now, { roundIntervalMs: 10_000, remainingMs: () => 50_000, owner: `o-${now}`, sleep: async () => undefined });
  };
  for (let r = 0; r < 4; r++) await one(); // to steady state (passing)
  const samples: Array<{ cpu: number; wall: number }> = [];
  for (let r = 0; r < 10; r++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await one();
    const c = process.cpuUsage(c0);
    samples.push({ cpu: (c.user + c.system) / 1000, wall: performance.now() - t0 });
  }
  const med = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  console.log(`${N} targets steady round (runRound incl. lock): CPU median ${med(samples.map((s) => s.cpu)).toFixed(1)} ms, wall median ${med(samples.map((s) => s.wall)).toFixed(1)} ms; rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`);
  raw.destroy();
} finally {
  child.stdin?.end();
  child.kill();
  await db.stop();
}
