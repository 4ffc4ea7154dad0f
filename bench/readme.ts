/**
 * `npm run bench:readme`: from bench/results/latest.json, judges issue #16's targets again (bench/report.ts's
 * TARGETS: after a target's row or wording changed, without running the benchmarks again), rewrites latest.json and
 * latest.md, and the README's figures block — what `npm run bench` does at the end of a run.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { judgeTargets, type Report, reportMarkdown, withFigures } from './report.js';

const root = join(import.meta.dirname, '..');
const results = join(root, 'bench', 'results');
const stored = JSON.parse(readFileSync(join(results, 'latest.json'), 'utf8')) as Report;
const report: Report = { ...stored, targets: judgeTargets(stored.parts) };
writeFileSync(join(results, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);
writeFileSync(join(results, 'latest.md'), reportMarkdown(report));
const readmePath = join(root, 'README.md');
writeFileSync(readmePath, withFigures(readFileSync(readmePath, 'utf8'), report));
