/** Small statistics helpers for the benchmarks. */

/** The q-quantile (0..1) of `values`, nearest-rank. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** Runs `task(i)` for i in [0, total) with at most `concurrency` in flight; returns each latency in ms and the wall time. */
export async function load(total: number, concurrency: number, task: (i: number) => Promise<void>) {
  const latencies: number[] = new Array(total);
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < total; i = next++) {
        const t0 = performance.now();
        await task(i);
        latencies[i] = performance.now() - t0;
      }
    }),
  );
  return { latencies, wallMs: performance.now() - started };
}

/**
 * Runs `task(i)` with `concurrency` in flight until `durationMs` has passed (no new task starts after it); returns
 * each latency in ms, how many ran and the wall time. For comparisons that must load both sides for the same time.
 */
export async function loadFor(durationMs: number, concurrency: number, task: (i: number) => Promise<void>) {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  const deadline = started + durationMs;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        const i = next++;
        const t0 = performance.now();
        await task(i);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  return { latencies, requests: latencies.length, wallMs: performance.now() - started };
}
