/** The README's benchmark figures are the last `npm run bench` report's, rendered by bench/report.ts. */
import { readFileSync } from 'node:fs';
import { FIGURES_END, FIGURES_START, firstNumber, judgeTargets, PARTS, type Report, readmeFigures, tables, TARGETS } from '../../bench/report.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const report = JSON.parse(readFileSync(new URL('../../bench/results/latest.json', import.meta.url), 'utf8')) as Report;

describe('README figures', () => {
  it('are the block rendered from bench/results/latest.json', () => {
    const block = readme.slice(readme.indexOf(FIGURES_START) + FIGURES_START.length, readme.indexOf(FIGURES_END));
    expect(block.trim()).toBe(readmeFigures(report).trim());
  });

  it('judge every #16 target the report printed from the parts it ran', () => {
    expect(report.targets.map((t) => t.figure)).toEqual(TARGETS.map((t) => t.figure));
    expect(judgeTargets(report.parts)).toEqual(report.targets);
    for (const target of report.targets) expect([target.figure, Number.isFinite(target.measured)]).toEqual([target.figure, true]);
  });
});

describe('report parsing', () => {
  it('reads Markdown tables keyed by their header', () => {
    const out = 'title\n| figure | value |\n|---|---:|\n| a | 1.5 |\n| b | 2 |\nafter';
    expect(tables(out)).toEqual([
      [
        { figure: 'a', value: '1.5' },
        { figure: 'b', value: '2' },
      ],
    ]);
  });

  it('takes the first number of a cell', () => {
    expect(firstNumber('42.8 s, 234/s')).toBe(42.8);
    expect(firstNumber('**0.0031**')).toBe(0.0031);
    expect(firstNumber('1,234 ms')).toBe(1234);
    expect(firstNumber('n/a')).toBeNaN();
  });

  it('judges a target met or not by its goal, and not met when the row is missing', () => {
    const parts = { [PARTS.cpu]: { output: '', tables: [[{ operation: 'discover 100 (handler)', 'CPU µs/req mean': '1400' }]] } };
    const [discover] = judgeTargets(parts, [TARGETS.find((t) => t.figure.startsWith('discover'))!]);
    expect(discover).toMatchObject({ measured: 1400, met: true });
    const [missing] = judgeTargets({}, [TARGETS[0]!]);
    expect(missing!.met).toBe(false);
    expect(missing!.measured).toBeNaN();
  });
});
