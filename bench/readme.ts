/**
 * `npm run bench:readme`: rewrites the README's figures block from bench/results/latest.json (what `npm run bench`
 * already does at the end of a run; this redoes it after the README's text around the block changed).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Report, withFigures } from './report.js';

const root = join(import.meta.dirname, '..');
const report = JSON.parse(readFileSync(join(root, 'bench', 'results', 'latest.json'), 'utf8')) as Report;
const readmePath = join(root, 'README.md');
writeFileSync(readmePath, withFigures(readFileSync(readmePath, 'utf8'), report));
