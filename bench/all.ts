/**
 * `npm run bench`: every benchmark in one run, side by side with etcd, written to bench/results/latest.json and
 * bench/results/latest.md (the README links the latter), with issue #16's targets judged (bench/report.ts), and the
 * README's figures block rewritten from it. Each part runs in its own process, one after another.
 * Sizes can be reduced with the parts' own variables (BENCH_REQUESTS, BENCH_CHANGES, BENCH_ONE_SERVICE,
 * BENCH_ACROSS, BENCH_TARGETS); the report records what was used.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { firstNumber, judgeTargets, PARTS, type Report, type Row, tables, targetsTable, withFigures } from './report.js';

/** Each part in its own process, one after another; the load-sensitive ones (floor, CPU, init) first. */
const parts = [
  [PARTS.api, 'bench/api.ts'],
  [PARTS.floor, 'bench/floor.ts'],
  [PARTS.cpu, 'bench/cpu.ts'],
  [PARTS.init, 'bench/init.ts'],
  [PARTS.detection, 'bench/detection.ts'],
  [PARTS.pick, 'bench/pick.ts'],
  [PARTS.probe, 'bench/probe.ts'],
  [PARTS.scale, 'bench/scale.ts'],
  [PARTS.cost, 'bench/cost.ts'],
  [PARTS.etcd, 'bench/etcd.ts'],
] as const;

const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}, ${process.platform}`;
const report: Record<string, { output: string; tables: Row[][] }> = {};
for (const [title, script] of parts) {
  process.stdout.write(`running ${script}…\n`);
  const run = spawnSync(process.execPath, ['--import', 'tsx', script], {
    encoding: 'utf8',
    env: { ...process.env, POWERTOOLS_LOG_LEVEL: 'ERROR' },
    maxBuffer: 64 * 2 ** 20,
  });
  const output = (run.stdout ?? '').trim();
  if (run.status !== 0) throw new Error(`${script} failed:\n${output}\n${run.stderr}`);
  report[title] = { output, tables: tables(output) };
}

// Ratios ours / etcd for the figures both sides measure.
const num = firstNumber;
const api = report[PARTS.api]!.tables[0] ?? [];
const etcdTables = report[PARTS.etcd]!.tables;
const etcdOps = etcdTables[0] ?? [];
const cell = (rows: Row[], op: RegExp, c: string, col: string) => num(rows.find((r) => op.test(r.operation ?? '') && r.concurrency === c)?.[col]);
const figure = (rows: Row[] | undefined, name: RegExp) => num(rows?.find((r) => name.test(r.figure ?? ''))?.value);
const detection = report[PARTS.detection]!.tables[0];
const etcdFigures = etcdTables[1];
const ratios: Array<[string, number, number]> = [];
for (const [ours, theirs, label] of [
  [/^register/, /^put with lease/, 'register vs put with lease'],
  [/^heartbeat/, /keep-alive/, 'heartbeat vs keep-alive'],
  [/^discover/, /get by prefix/, 'discover 100 vs get by prefix'],
] as const) {
  for (const c of ['1', '16', '64']) {
    ratios.push([`${label}, req/s at c=${c}`, cell(api, ours, c, 'req/s'), cell(etcdOps, theirs, c, 'req/s')]);
    ratios.push([`${label}, p99 ms at c=${c}`, cell(api, ours, c, 'p99 ms'), cell(etcdOps, theirs, c, 'p99 ms')]);
  }
}
ratios.push(['change → subscriber p50 ms', figure(detection, /propagation.*p50/), figure(etcdFigures, /watch propagation p50/)]);
ratios.push(['change → subscriber p99 ms', figure(detection, /propagation.*p99/), figure(etcdFigures, /watch propagation p99/)]);
ratios.push(['lease-expiry detection mean ms', figure(detection, /lease-expiry detection mean/), figure(etcdFigures, /lease-expiry detection mean/)]);

const date = new Date().toISOString();
const targets = judgeTargets(report);
const md = [
  `# Benchmark report`,
  ``,
  `Run ${date} on ${machine}. DynamoDB Local (Java) and etcd run on the same machine as the registry.`,
  ``,
  `## Targets (issue #16)`,
  ``,
  ...targetsTable(targets),
  ``,
  `## Ours / etcd`,
  ``,
  `| figure | ours | etcd | ours/etcd |`,
  `|---|---:|---:|---:|`,
  ...ratios.map(([name, ours, theirs]) => `| ${name} | ${ours} | ${theirs} | ${theirs > 0 ? (ours / theirs).toFixed(2) : 'n/a'} |`),
  ``,
  ...Object.entries(report).flatMap(([title, part]) => [`## ${title}`, ``, part.output, ``]),
].join('\n');
const result: Report = { date, machine, ratios: ratios.map(([name, ours, etcd]) => ({ name, ours, etcd })), targets, parts: report };
const dir = join(import.meta.dirname, 'results');
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, 'latest.json'), `${JSON.stringify(result, null, 2)}\n`);
writeFileSync(join(dir, 'latest.md'), `${md}\n`);
// The README's figures block is made from this report (bench/report.ts), never copied by hand.
const readmePath = join(import.meta.dirname, '..', 'README.md');
writeFileSync(readmePath, withFigures(readFileSync(readmePath, 'utf8'), result));
console.log(md);
