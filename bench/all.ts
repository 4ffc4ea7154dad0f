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
import { firstNumber, judgeTargets, PARTS, type Report, reportMarkdown, type Row, tables, withFigures } from './report.js';

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
const dir = join(import.meta.dirname, 'results');
/**
 * BENCH_PARTS (e.g. `scale`): run only these parts and keep the others from the last report (bench/results/
 * latest.json); the report then says which parts were run again, and when.
 */
const only = process.env.BENCH_PARTS?.split(',').map((name) => `bench/${name.trim()}.ts`);
const previous = only ? (JSON.parse(readFileSync(join(dir, 'latest.json'), 'utf8')) as Report) : undefined;
const report: Record<string, { output: string; tables: Row[][] }> = {};
for (const [title, script] of parts) {
  if (only && !only.includes(script)) {
    const kept = previous?.parts[title];
    if (!kept) throw new Error(`BENCH_PARTS: the last report has no '${title}' to keep`);
    report[title] = kept;
    continue;
  }
  process.stdout.write(`running ${script}…\n`);
  const run = spawnSync(process.execPath, ['--import', 'tsx', script], {
    encoding: 'utf8',
    env: { ...process.env, POWERTOOLS_LOG_LEVEL: 'ERROR' },
    maxBuffer: 64 * 2 ** 20,
  });
  const output = (run.stdout ?? '').trim();
  if (run.status !== 0) throw new Error(`${script} failed:\n${output}\n${run.stderr}`);
  const stamped = only ? `(run again ${new Date().toISOString()} with BENCH_PARTS; the other parts ran ${previous?.date})\n${output}` : output;
  report[title] = { output: stamped, tables: tables(stamped) };
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
const result: Report = { date: previous?.date ?? date, machine, ratios: ratios.map(([name, ours, etcd]) => ({ name, ours, etcd })), targets, parts: report };
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, 'latest.json'), `${JSON.stringify(result, null, 2)}\n`);
writeFileSync(join(dir, 'latest.md'), reportMarkdown(result));
// The README's figures block is made from this report (bench/report.ts), never copied by hand.
const readmePath = join(import.meta.dirname, '..', 'README.md');
writeFileSync(readmePath, withFigures(readFileSync(readmePath, 'utf8'), result));
console.log(reportMarkdown(result));
