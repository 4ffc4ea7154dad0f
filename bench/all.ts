/**
 * `npm run bench`: every benchmark in one run, side by side with etcd, written to bench/results/latest.json and
 * bench/results/latest.md (the README links the latter). Each part runs in its own process, one after another.
 * Sizes can be reduced with the parts' own variables (BENCH_REQUESTS, BENCH_CHANGES, BENCH_ONE_SERVICE,
 * BENCH_ACROSS, BENCH_TARGETS); the report records what was used.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';

const parts = [
  ['API through the local runtime', 'bench/api.ts'],
  ['Propagation and detection (SDK cache over SSE)', 'bench/detection.ts'],
  ['Cached discovery: pick()', 'bench/pick.ts'],
  ['Prober', 'bench/probe.ts'],
  ['Scale', 'bench/scale.ts'],
  ['Peer: etcd, same machine, same run', 'bench/etcd.ts'],
] as const;

type Row = Record<string, string>;
/** Markdown tables in a part's output, as rows keyed by header. */
function tables(output: string): Row[][] {
  const found: Row[][] = [];
  const lines = output.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i]!.startsWith('|') || !lines[i + 1]?.startsWith('|---')) continue;
    const header = lines[i]!.split('|')
      .slice(1, -1)
      .map((c) => c.trim());
    const rows: Row[] = [];
    for (i += 2; i < lines.length && lines[i]!.startsWith('|'); i++) {
      const cells = lines[i]!.split('|')
        .slice(1, -1)
        .map((c) => c.trim());
      rows.push(Object.fromEntries(header.map((h, k) => [h, cells[k] ?? ''])));
    }
    found.push(rows);
  }
  return found;
}

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
const num = (v: string | undefined) => Number(String(v ?? '').replace(/[^0-9.\-e]/g, ''));
const api = report['API through the local runtime']!.tables[0] ?? [];
const etcdTables = report['Peer: etcd, same machine, same run']!.tables;
const etcdOps = etcdTables[0] ?? [];
const cell = (rows: Row[], op: RegExp, c: string, col: string) => num(rows.find((r) => op.test(r.operation ?? '') && r.concurrency === c)?.[col]);
const figure = (rows: Row[] | undefined, name: RegExp) => num(rows?.find((r) => name.test(r.figure ?? ''))?.value);
const detection = report['Propagation and detection (SDK cache over SSE)']!.tables[0];
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
const md = [
  `# Benchmark report`,
  ``,
  `Run ${date} on ${machine}. DynamoDB Local (Java) and etcd run on the same machine as the registry.`,
  ``,
  `## Ours / etcd`,
  ``,
  `| figure | ours | etcd | ours/etcd |`,
  `|---|---:|---:|---:|`,
  ...ratios.map(([name, ours, theirs]) => `| ${name} | ${ours} | ${theirs} | ${theirs > 0 ? (ours / theirs).toFixed(2) : 'n/a'} |`),
  ``,
  ...Object.entries(report).flatMap(([title, part]) => [`## ${title}`, ``, part.output, ``]),
].join('\n');
const dir = join(import.meta.dirname, 'results');
mkdirSync(dir, { recursive: true });
writeFileSync(
  join(dir, 'latest.json'),
  `${JSON.stringify({ date, machine, ratios: ratios.map(([name, ours, etcd]) => ({ name, ours, etcd })), parts: report }, null, 2)}\n`,
);
writeFileSync(join(dir, 'latest.md'), `${md}\n`);
console.log(md);
