/**
 * The report `npm run bench` writes, and the README's figures made from it: the parts' Markdown tables read back as
 * rows, issue #16's targets looked up in them, and the README block between `<!-- figures:start -->` and
 * `<!-- figures:end -->` rendered from `bench/results/latest.json` (so the README says what the last run measured,
 * never a hand-copied figure; `npm run bench:readme` rewrites it, and test/docs/readme-figures.test.ts checks it).
 * Plain functions, no I/O.
 */

/** One table row keyed by its header cells. */
export type Row = Record<string, string>;

/** What one part printed, and its tables. */
export interface Part {
  readonly output: string;
  readonly tables: Row[][];
}

/** What bench/all.ts writes to bench/results/latest.json. */
export interface Report {
  readonly date: string;
  readonly machine: string;
  readonly ratios: ReadonlyArray<{ name: string; ours: number; etcd: number }>;
  readonly targets: ReadonlyArray<TargetResult>;
  readonly parts: Readonly<Record<string, Part>>;
}

/** Markdown tables in a part's output (a `| … |` header line followed by a `|---` line), as rows keyed by header. */
export function tables(output: string): Row[][] {
  const found: Row[][] = [];
  const lines = output.split('\n');
  const cells = (line: string) =>
    line
      .split('|')
      .slice(1, -1)
      .map((c) => c.trim());
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i]!.startsWith('|') || !lines[i + 1]?.startsWith('|---')) continue;
    const header = cells(lines[i]!);
    const rows: Row[] = [];
    for (i += 2; i < lines.length && lines[i]!.startsWith('|'); i++) {
      const row = cells(lines[i]!);
      rows.push(Object.fromEntries(header.map((h, k) => [h, row[k] ?? ''])));
    }
    found.push(rows);
  }
  return found;
}

/** The first number in a cell (`"42.8 s, 234/s"` → 42.8, `"**0.0031**"` → 0.0031, `"1,234"` → 1234), or NaN. */
export function firstNumber(cell: string | undefined): number {
  const match = /-?\d[\d,]*(?:\.\d+)?(?:e[-+]?\d+)?/i.exec(cell ?? '');
  return match ? Number(match[0].replaceAll(',', '')) : Number.NaN;
}

/** A figure issue #16 sets a target for, and where the run prints it. */
export interface Target {
  readonly figure: string;
  /** Title of the part (bench/all.ts) whose output holds it. */
  readonly part: string;
  /** The row: its first cell matches this. */
  readonly row: RegExp;
  /** The column holding the figure. */
  readonly column: string;
  readonly goal: { readonly op: '≤' | '≥'; readonly value: number };
  readonly unit: string;
}

export interface TargetResult {
  readonly figure: string;
  /** NaN when the run printed no such row. */
  readonly measured: number;
  readonly goal: string;
  readonly met: boolean;
}

/** Part titles, shared by bench/all.ts and the targets. */
export const PARTS = {
  api: 'API through the local runtime',
  floor: 'Our API against the DynamoDB Local floor',
  cpu: 'Handler CPU per request, in process',
  init: 'Lambda init: import of each bundle in a fresh process',
  detection: 'Propagation and detection (SDK cache over SSE)',
  pick: 'Cached discovery: pick()',
  probe: 'Prober',
  scale: 'Scale',
  cost: 'Cost (bench:cost)',
  etcd: 'Peer: etcd, same machine, same run',
} as const;

/** Issue #16's targets, in its table's order. */
export const TARGETS: readonly Target[] = [
  {
    figure: 'probe-driven $ per instance-month, 1,000 instances (short-invocation prober)',
    part: PARTS.cost,
    row: /^probe-driven \$\/instance-month, 1,000 instances, short/,
    column: 'value',
    goal: { op: '≤', value: 0.004 },
    unit: '$',
  },
  {
    figure: '10-instance probe-driven fleet, $ per month in all',
    part: PARTS.cost,
    row: /^10-instance fleet \$\/month, probe-driven/,
    column: 'value',
    goal: { op: '≤', value: 1 },
    unit: '$',
  },
  {
    figure: '60 s heartbeats $ per instance-month, 10 per request (cheapest capacity mode)',
    part: PARTS.cost,
    row: /^heartbeat \$\/instance-month, 1,000 instances, 10 per request/,
    column: 'value',
    goal: { op: '≤', value: 0.03 },
    unit: '$',
  },
  {
    figure: '60 s heartbeats $ per instance-month, one per request (cheapest capacity mode)',
    part: PARTS.cost,
    row: /^heartbeat \$\/instance-month, 1,000 instances, one per request/,
    column: 'value',
    goal: { op: '≤', value: 0.03 },
    unit: '$',
  },
  {
    figure: 'discover (100 instances) handler CPU µs',
    part: PARTS.cpu,
    row: /^discover 100 \(handler/,
    column: 'CPU µs/req mean',
    goal: { op: '≤', value: 1500 },
    unit: 'µs',
  },
  {
    figure: 'register handler CPU µs',
    part: PARTS.cpu,
    row: /^register \(handler, replace/,
    column: 'CPU µs/req mean',
    goal: { op: '≤', value: 1000 },
    unit: 'µs',
  },
  { figure: 'heartbeat handler CPU µs', part: PARTS.cpu, row: /^heartbeat \(handler/, column: 'CPU µs/req mean', goal: { op: '≤', value: 500 }, unit: 'µs' },
  {
    figure: 'register req/s at c=16 / DynamoDB Local floor',
    part: PARTS.floor,
    row: /^register req\/s/,
    column: 'ours/floor',
    goal: { op: '≥', value: 0.8 },
    unit: '×',
  },
  {
    figure: 'heartbeat req/s at c=16 / DynamoDB Local floor',
    part: PARTS.floor,
    row: /^heartbeat req\/s/,
    column: 'ours/floor',
    goal: { op: '≥', value: 0.8 },
    unit: '×',
  },
  {
    figure: 'discover req/s at c=16 / DynamoDB Local floor',
    part: PARTS.floor,
    row: /^discover.*req\/s/,
    column: 'ours/floor',
    goal: { op: '≥', value: 0.8 },
    unit: '×',
  },
  {
    figure: 'change → SDK cache p99 ms, local',
    part: PARTS.detection,
    row: /^propagation to SDK cache p99/,
    column: 'value',
    goal: { op: '≤', value: 15 },
    unit: 'ms',
  },
  {
    figure: 'process dies → out of rotation, local 1 s rounds, mean ms',
    part: PARTS.detection,
    row: /^failure detection mean/,
    column: 'value',
    goal: { op: '≤', value: 1500 },
    unit: 'ms',
  },
  {
    figure: 'same, AWS defaults (10 s rounds, 1 s re-probes), mean ms',
    part: PARTS.detection,
    row: /^detection at AWS defaults mean/,
    column: 'value',
    goal: { op: '≤', value: 10_000 },
    unit: 'ms',
  },
  {
    figure: 'same, AWS defaults, max ms',
    part: PARTS.detection,
    row: /^detection at AWS defaults max/,
    column: 'value',
    goal: { op: '≤', value: 10_000 },
    unit: 'ms',
  },
  {
    figure: 'register 10,000 instances of one service, s',
    part: PARTS.scale,
    row: /^register \d+ instances in one service/,
    column: 'value',
    goal: { op: '≤', value: 10 },
    unit: 's',
  },
];

/** Looks each target up in the parts' tables and says whether the run met it. */
export function judgeTargets(parts: Readonly<Record<string, Part>>, targets: readonly Target[] = TARGETS): TargetResult[] {
  return targets.map((target) => {
    const rows = parts[target.part]?.tables.flat() ?? [];
    const row = rows.find((r) => target.row.test(Object.values(r)[0] ?? ''));
    const measured = firstNumber(row?.[target.column]);
    const met = Number.isFinite(measured) && (target.goal.op === '≤' ? measured <= target.goal.value : measured >= target.goal.value);
    return { figure: target.figure, measured, goal: `${target.goal.op} ${target.goal.value} ${target.unit}`, met };
  });
}

/** The targets as a Markdown table. */
export function targetsTable(results: readonly TargetResult[]): string[] {
  return [
    '| #16 target | measured | target | met |',
    '|---|---:|---:|---|',
    ...results.map((r) => `| ${r.figure} | ${Number.isFinite(r.measured) ? r.measured : 'not printed'} | ${r.goal} | ${r.met ? 'yes' : '**no**'} |`),
  ];
}

/** bench/results/latest.md: the targets, the ratios to etcd, then every part's output. */
export function reportMarkdown(report: Report): string {
  return `${[
    '# Benchmark report',
    '',
    `Run ${report.date} on ${report.machine}. DynamoDB Local (Java) and etcd run on the same machine as the registry.`,
    '',
    '## Targets (issue #16)',
    '',
    ...targetsTable(report.targets),
    '',
    '## Ours / etcd',
    '',
    ...ratiosTable(report.ratios),
    '',
    ...Object.entries(report.parts).flatMap(([title, part]) => [`## ${title}`, '', part.output, '']),
  ].join('\n')}\n`;
}

/** The ours/etcd ratios as a Markdown table. */
function ratiosTable(ratios: Report['ratios']): string[] {
  return [
    '| figure | ours | etcd | ours/etcd |',
    '|---|---:|---:|---:|',
    ...ratios.map(({ name, ours, etcd }) => `| ${name} | ${ours} | ${etcd} | ${etcd > 0 ? (ours / etcd).toFixed(2) : 'n/a'} |`),
  ];
}

export const FIGURES_START = '<!-- figures:start -->';
export const FIGURES_END = '<!-- figures:end -->';

/** The README's figures block (between the markers, markers excluded) made from a report. */
export function readmeFigures(report: Report): string {
  const day = report.date.slice(0, 10);
  const registryOnly = (report.parts[PARTS.detection]?.tables[0] ?? [])
    .filter((r) => !/^propagation/.test(r.figure ?? ''))
    .concat(report.parts[PARTS.scale]?.tables[0] ?? []);
  return [
    `Latest \`npm run bench\` (${day}, ${report.machine}; full report: [bench/results/latest.md](bench/results/latest.md)):`,
    '',
    ...targetsTable(report.targets),
    '',
    ...ratiosTable(report.ratios),
    '',
    '| registry-only figure | value |',
    '|---|---:|',
    ...registryOnly.map((r) => `| ${r.figure} | ${r.value} |`),
  ].join('\n');
}

/** `readme` with its figures block replaced by the one made from `report`. */
export function withFigures(readme: string, report: Report): string {
  const start = readme.indexOf(FIGURES_START);
  const end = readme.indexOf(FIGURES_END);
  if (start < 0 || end < start) throw new Error(`README has no ${FIGURES_START} … ${FIGURES_END} block`);
  return `${readme.slice(0, start + FIGURES_START.length)}\n${readmeFigures(report)}\n${readme.slice(end)}`;
}
