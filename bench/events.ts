/**
 * `npm run bench:events`: time from a change being acknowledged (the HTTP response of a register or patch) to the
 * SSE subscriber receiving its event, through the local runtime at the default stream poll interval. Reports
 * p50/p99 over BENCH_CHANGES changes (default 1,000). With the fast path on (the default; `REGISTRY_FAST_PUBLISH=false`
 * turns it off) the event usually arrives before the acknowledgement: those count as 0.
 */
import { startLocalRuntime } from '../local/runtime.js';
import { readSse } from '../packages/client/src/sse.js';
import { quantile } from './stats.js';

const CHANGES = Number(process.env.BENCH_CHANGES ?? 1000);
const runtime = await startLocalRuntime({ port: 0, prober: false });
const controller = new AbortController();
try {
  const waiting = new Map<string, (at: number) => void>();
  // An event can arrive before the response body is read: keep arrival times by instance/revision.
  const arrived = new Map<string, number>();
  const res = await fetch(`${runtime.url}/v1/events?service=bench`, { signal: controller.signal });
  void (async () => {
    for await (const message of readSse(res.body!)) {
      if (!message.data) continue;
      const at = performance.now();
      const detail = JSON.parse(message.data).detail;
      const key = `${detail.instanceId}/${detail.revision}`;
      arrived.set(key, at);
      waiting.get(key)?.(at);
    }
  })().catch(() => undefined);

  const latencies: number[] = [];
  for (let i = 0; i < CHANGES; i++) {
    const id = `b-${i % 50}`;
    const body = JSON.stringify({ address: '10.0.0.1', port: 1000 + i, leaseSeconds: 300 });
    const reply = await fetch(`${runtime.url}/v1/services/bench/instances/${id}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body });
    const acknowledged = performance.now();
    const { revision } = (await reply.json()) as { revision: number };
    const received =
      arrived.get(`${id}/${revision}`) ??
      (await new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`event for ${id}/${revision} not received in 10 s`)), 10_000);
        waiting.set(`${id}/${revision}`, (at) => {
          clearTimeout(timer);
          resolve(at);
        });
      }));
    waiting.delete(`${id}/${revision}`);
    latencies.push(Math.max(0, received - acknowledged));
  }
  const poll = process.env.REGISTRY_STREAM_POLL_MS ?? '50';
  const fast = !/^(false|0|no)$/i.test(process.env.REGISTRY_FAST_PUBLISH ?? 'true');
  console.log(`bench:events — ${CHANGES} changes, stream poll ${poll} ms, fast path ${fast ? 'on' : 'off'}, node ${process.version}`);
  console.log('| figure | ms |');
  console.log('|---|---:|');
  console.log(`| acknowledged → SSE subscriber, p50 | ${quantile(latencies, 0.5).toFixed(1)} |`);
  console.log(`| acknowledged → SSE subscriber, p99 | ${quantile(latencies, 0.99).toFixed(1)} |`);
  console.log(`| acknowledged → SSE subscriber, max | ${Math.max(...latencies).toFixed(1)} |`);
} finally {
  controller.abort();
  await runtime.stop();
}
