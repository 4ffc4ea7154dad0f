/**
 * How the CLI prints for people: colour (picocolors) and tables (cli-table3). Colour only when it can be seen and is
 * wanted; tables borderless, like `kubectl get`, so `grep` and `awk` work on them, and no wider than the terminal.
 */
import pc from 'picocolors';
import Table from 'cli-table3';

/** The colour functions the CLI uses (picocolors' own type). */
export type Colors = ReturnType<typeof pc.createColors>;

/**
 * Whether to colour stdout: `NO_COLOR` (non-empty) wins, then `FORCE_COLOR` (non-empty), then whether stdout is a
 * terminal that is not `TERM=dumb`. picocolors' own default also colours when `CI` is set, even into a pipe or a
 * file; a CLI's output there is read by scripts, so that rule is left out. See https://no-color.org.
 *
 * @example
 * colorEnabled({ NO_COLOR: '1' }, true); // => false
 */
export function colorEnabled(env: NodeJS.ProcessEnv = process.env, isTty: boolean = process.stdout.isTTY === true): boolean {
  if (env.NO_COLOR) return false;
  if (env.FORCE_COLOR) return true;
  return isTty && env.TERM !== 'dumb';
}

/** The colours for this process's stdout. */
export function colors(): Colors {
  return pc.createColors(colorEnabled());
}

/**
 * How wide output may be: the terminal's width when stdout is one, else `COLUMNS` when set (a shell exports it;
 * tests and scripts may), else unlimited: a pipe gets whole values.
 */
export function outputWidth(): number | undefined {
  if (process.stdout.isTTY && process.stdout.columns) return process.stdout.columns;
  const columns = Number(process.env.COLUMNS);
  return Number.isInteger(columns) && columns > 0 ? columns : undefined;
}

const GAP = 2;
const ELLIPSIS = '…';

/**
 * A borderless table of `rows` under `head`, at most `width` wide: when the natural width is more, the widest
 * columns give way first (never below 6 characters) and the cells that no longer fit end in `…`.
 *
 * @example
 * table(['SERVICE', 'TOTAL'], [['orders', '3']], 80, colors()); // "SERVICE  TOTAL\norders   3"
 */
export function table(head: readonly string[], rows: ReadonlyArray<readonly string[]>, width: number | undefined, c: Colors): string {
  const natural = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const widths = fit(natural, width);
  const t = new Table({
    head: head.map((h) => c.bold(h)),
    colWidths: widths,
    wordWrap: false,
    truncate: ELLIPSIS,
    chars: {
      top: '',
      'top-mid': '',
      'top-left': '',
      'top-right': '',
      bottom: '',
      'bottom-mid': '',
      'bottom-left': '',
      'bottom-right': '',
      left: '',
      'left-mid': '',
      mid: '',
      'mid-mid': '',
      right: '',
      'right-mid': '',
      middle: ' '.repeat(GAP),
    },
    style: { 'padding-left': 0, 'padding-right': 0, head: [], border: [], compact: true },
  });
  t.push(...rows.map((r) => [...r]));
  // cli-table3 pads the last column too; trailing blanks are noise in a pipe.
  return t
    .toString()
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n');
}

/** Column widths that fit `width` (with the gaps between them), shrinking the widest first. */
function fit(natural: readonly number[], width: number | undefined): number[] {
  const widths = [...natural];
  if (width === undefined) return widths;
  const budget = width - GAP * (widths.length - 1);
  const MIN = 6;
  let total = widths.reduce((a, b) => a + b, 0);
  while (total > budget) {
    const widest = widths.indexOf(Math.max(...widths));
    if (widths[widest]! <= MIN) break; // cannot shrink further: the terminal wraps what is left
    widths[widest]!--;
    total--;
  }
  return widths;
}

/** `key: value` lines, keys padded to one column. */
export function fields(entries: ReadonlyArray<readonly [string, string]>, c: Colors): string {
  const pad = Math.max(...entries.map(([k]) => k.length)) + 1;
  return entries.map(([k, v]) => `${c.bold(`${k}:`.padEnd(pad))} ${v}`).join('\n');
}
