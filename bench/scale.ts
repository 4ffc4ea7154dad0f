/**
 * Scale figures of `npm run bench`: BENCH_ONE_SERVICE instances (default 10,000) registered in one service and
 * fully listed through pagination; BENCH_ACROSS instances (default 100,000) registered across 100 services; the
 * local runtime's memory (Node RSS; DynamoDB Local runs in its own Java process).
 */
import { startLocalRuntime } from '../local/runtime.js';
import { RegistryClient } from '@service-registry/client';
import { load } from './stats.js';

const ONE = Number(process.env.BENCH_ONE_SERVICE ?? 10_000);
const ACROSS = Number(process.env.BENCH_ACROSS ?? 100_000);
process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';
const runtime = await startLocalRuntime({ port: 0, prober: false });
const client = new RegistryClient({ baseUrl: runtime.url, timeoutMs: 30_000 });
const body = (i: number) => ({ address: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, port: 8080, leaseSeconds: 86_400 });
try {
  const reg1 = await load(ONE, 32, async (i) => void (await client.register('big', `i-${i}`, body(i))));
  const t0 = performance.now();
  const { instances } = await client.discoverAll('big');
  const listMs = performance.now() - t0;
  if (instances.length !== ONE) throw new Error(`listed ${instances.length} of ${ONE}`);
  const reg2 = await load(ACROSS, 32, async (i) => void (await client.register(`svc-${i % 100}`, `i-${i}`, body(i))));
  const services = await client.listServices();
  const rss = process.memoryUsage().rss / 2 ** 20;
  console.log(`bench:scale — node ${process.version}`);
  console.log('| figure | value |');
  console.log('|---|---:|');
  console.log(`| register ${ONE} instances in one service (c=32) | ${(reg1.wallMs / 1000).toFixed(1)} s, ${((ONE / reg1.wallMs) * 1000).toFixed(0)}/s |`);
  console.log(`| list all ${ONE} (pages of 1,000) | ${(listMs / 1000).toFixed(2)} s |`);
  console.log(
    `| register ${ACROSS} instances across 100 services (c=32) | ${(reg2.wallMs / 1000).toFixed(1)} s, ${((ACROSS / reg2.wallMs) * 1000).toFixed(0)}/s |`,
  );
  console.log(`| services listed | ${services.length} |`);
  console.log(`| local runtime RSS (Node, after) | ${rss.toFixed(0)} MiB |`);
} finally {
  await runtime.stop();
}
