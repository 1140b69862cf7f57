// Small terminal helpers: tables, relative times, a progress bar and a yes/no question.
import { createInterface } from 'node:readline/promises';
import { UsageError } from './usage.ts';

/** "2h", "30m", "7d", "90s" ago, or any date Date.parse understands. */
export function parseTime(text: string, now = new Date()): Date {
  const relative = /^(\d+(?:\.\d+)?)\s*(s|m|h|d)$/.exec(text.trim());
  if (relative) {
    const unit = { s: 1e3, m: 60e3, h: 3600e3, d: 86_400e3 }[relative[2] as 's' | 'm' | 'h' | 'd'];
    return new Date(now.getTime() - Number(relative[1]) * unit);
  }
  const parsed = Date.parse(text);
  if (Number.isNaN(parsed))
    throw new UsageError(`"${text}" is not a time: give an ISO date (2026-11-24T10:00:00Z) or an age (30m, 2h, 7d)`);
  return new Date(parsed);
}

export function table(rows: Array<Record<string, unknown>>, columns: string[]): string {
  const text = (value: unknown) =>
    (value === undefined || value === null ? '' : value instanceof Date ? value.toISOString() : String(value)).replace(/\s+/g, ' ');
  const cells = rows.map((row) => columns.map((column) => text(row[column])));
  const widths = columns.map((column, i) => Math.min(60, Math.max(column.length, ...cells.map((row) => row[i]!.length))));
  const line = (values: string[]) =>
    values
      .map((value, i) => (value.length > widths[i]! ? `${value.slice(0, widths[i]! - 1)}…` : value.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(columns), ...cells.map(line)].join('\n');
}

export function progressBar(stream: NodeJS.WriteStream): (done: number, total: number) => void {
  if (!stream.isTTY) return () => {};
  return (done, total) => {
    const width = 30;
    const filled = total === 0 ? width : Math.round((done / total) * width);
    stream.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`);
    if (done === total) stream.write('\n');
  };
}

export async function ask(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) throw new UsageError(`${question} Not asked: no terminal to answer on. Pass --yes to go ahead.`);
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}
