/**
 * `node --import tsx bench/pick.ts`: how fast each client-side balancer picks, over 100 instances on one core.
 * Every row runs in its own child process, so the `pick()` call site only ever sees one balancer class, as in a
 * gateway that uses one strategy (one process measuring several would make the call megamorphic and measure that).
 * A row warms up (BENCH_WARMUP picks, default 1 M), then times BENCH_PICKS picks (default 5 M) in batches of 1,000
 * with `process.hrtime.bigint()`; picks/s is over the whole timed loop, p50/p99 are per pick within a batch.
 */
import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { InstanceRecord } from '@service-registry/contracts';
import { type Balancer, createBalancer, LeastOutstandingBalancer, RandomBalancer, RoundRobinBalancer, SmoothWeightedBalancer } from '@service-registry/client';
import { quantile } from './stats.js';

const INSTANCES = 100;
const PICKS = Number(process.env.BENCH_PICKS ?? 5_000_000);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 1_000_000);
const BATCH = 1000;

/** One row of the table: how to build the balancer and whether each pick is paired with a release. */
interface Row {
  readonly label: string;
  readonly build: () => Balancer;
  readonly release: boolean;
}

const ROWS: Record<string, Row> = {
  'round-robin': { label: 'round robin', build: () => new RoundRobinBalancer(), release: false },
  random: { label: 'random', build: () => new RandomBalancer(), release: false },
  weighted: { label: 'smooth weighted round robin', build: () => new SmoothWeightedBalancer(), release: false },
  'least-outstanding': { label: 'P2C least outstanding (pick + release)', build: () => new LeastOutstandingBalancer(), release: true },
  'managed-round-robin': {
    label: 'createBalancer round robin (zone, panic, ejection)',
    build: () => createBalancer({ strategy: 'round-robin', zone: 'a' }),
    release: false,
  },
  'managed-weighted': {
    label: 'createBalancer weighted (zone, panic, ejection)',
    build: () => createBalancer({ strategy: 'weighted', zone: 'a' }),
    release: false,
  },
  'managed-least-outstanding': {
    label: 'createBalancer P2C (zone, panic, ejection; pick + release)',
    build: () => createBalancer({ strategy: 'least-outstanding', zone: 'a' }),
    release: true,
  },
  'managed-ejected': { label: 'createBalancer round robin, 1 instance ejected (clock read per pick)', build: ejectedOne, release: false },
};

/** 100 healthy instances over two zones with weights 1-100, as discovery returns them. */
function fleet(): InstanceRecord[] {
  return Array.from({ length: INSTANCES }, (_, i) => ({
    service: 'bench',
    instanceId: `i-${i}`,
    address: `10.0.${i >> 8}.${i & 255}`,
    port: 8000 + i,
    protocol: 'http' as const,
    zone: i % 2 === 0 ? 'a' : 'b',
    weight: 1 + ((i * 37) % 100),
    tags: [],
    metadata: {},
    status: 'UP' as const,
    health: 'passing' as const,
    registeredAt: '2024-01-01T00:00:00.000Z',
    updatedAt: '2024-01-01T00:00:00.000Z',
    revision: 1,
  }));
}

/** A managed round robin with one instance ejected for the whole run, so every pick reads the clock. */
function ejectedOne(): Balancer {
  const balancer = createBalancer({ strategy: 'round-robin', zone: 'a', outlierEjection: { baseEjectionMs: 3_600_000 } });
  const instances = fleet();
  balancer.update(instances);
  for (let i = 0; i < 5; i++) balancer.report(instances[0]!, false);
  return balancer;
}

interface Result {
  readonly picksPerSecond: number;
  readonly p50: number;
  readonly p99: number;
  readonly checksum: number;
}

function measure(row: Row): Result {
  const balancer = row.build();
  balancer.update(fleet());
  let checksum = 0;
  const run = (picks: number, samples: Float64Array | undefined): void => {
    for (let batch = 0; batch < picks / BATCH; batch++) {
      const started = process.hrtime.bigint();
      for (let i = 0; i < BATCH; i++) {
        const target = balancer.pick();
        if (target === undefined) throw new Error('picked nothing');
        if (row.release) balancer.release(target);
        checksum += target.port;
      }
      if (samples !== undefined) samples[batch] = Number(process.hrtime.bigint() - started) / BATCH;
    }
  };
  run(WARMUP, undefined);
  const samples = new Float64Array(PICKS / BATCH);
  const started = process.hrtime.bigint();
  run(PICKS, samples);
  const elapsedNs = Number(process.hrtime.bigint() - started);
  const perPick = Array.from(samples);
  return { picksPerSecond: (PICKS / elapsedNs) * 1e9, p50: quantile(perPick, 0.5), p99: quantile(perPick, 0.99), checksum };
}

const only = process.argv[2];
if (only !== undefined) {
  const row = ROWS[only];
  if (row === undefined) throw new Error(`unknown row ${only}; one of ${Object.keys(ROWS).join(', ')}`);
  process.stdout.write(`${JSON.stringify(measure(row))}\n`);
} else {
  console.log(
    `bench:pick — ${INSTANCES} instances, ${PICKS.toLocaleString('en')} timed picks per row after ${WARMUP.toLocaleString('en')} warm-up, batches of ${BATCH}`,
  );
  console.log(`node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'} (${cpus().length} cores; one used)`);
  console.log('');
  console.log('| balancer | picks/s | p50 ns/pick | p99 ns/pick |');
  console.log('|---|---:|---:|---:|');
  for (const [name, row] of Object.entries(ROWS)) {
    const child = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), name], { encoding: 'utf8' });
    if (child.status !== 0) throw new Error(`${name} failed: ${child.stderr}`);
    const result = JSON.parse(child.stdout) as Result;
    const millions = (result.picksPerSecond / 1e6).toFixed(1);
    console.log(`| ${row.label} | ${millions} M | ${result.p50.toFixed(1)} | ${result.p99.toFixed(1)} |`);
  }
}
