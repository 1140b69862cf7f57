// A line chart as a standalone SVG file, for the benchmark's Markdown report: one line per contender over the
// measured points (connections, say), each point labelled with its value. Pure: data in, SVG text out; no
// browser, no CDN, nothing to download, and GitHub renders an SVG linked from Markdown as an image.

export interface Series {
  name: string;
  /** y by x; a missing x leaves a gap in that line. */
  points: ReadonlyArray<{ x: number; y: number }>;
  /** So that one contender keeps its colour from chart to chart; by default the next of the palette. */
  colour?: string | undefined;
  /** A second measure of the same contender (p99 beside p50). */
  dashed?: boolean | undefined;
}

export interface LineChart {
  title: string;
  xLabel: string;
  yLabel: string;
  series: readonly Series[];
}

const WIDTH = 640;
const HEIGHT = 360;
const MARGIN = { top: 40, right: 150, bottom: 50, left: 70 };
const COLOURS = ['#1f77b4', '#d62728', '#7f7f7f', '#2ca02c', '#9467bd', '#ff7f0e'];
const X_PADDING = 30;
/** Value labels closer than this (px) are pushed apart, so that close points stay readable. */
const LABEL_GAP = 12;

const escapeXml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** The smallest 1, 2, 2.5 or 5 times a power of ten at or above `value`, so that the axis ticks are round. */
export function niceCeiling(value: number): number {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  return ([1, 2, 2.5, 5, 10].find((step) => step * power >= value) ?? 10) * power;
}

/** Values as a reader takes them in: 12,345 and 1.5 rather than 12345.000 and 1.4999. */
export function formatValue(value: number): string {
  if (Math.abs(value) >= 100) return Math.round(value).toLocaleString('en-US');
  return String(Math.round(value * 10) / 10);
}

/**
 * The x values are placed evenly in ascending order (10, 50, 250 and 500 connections are read as steps, not as a
 * linear scale on which the first two would touch); y runs from zero to a round ceiling above the largest value.
 */
export function lineChart(chart: LineChart): string {
  const xs = [...new Set(chart.series.flatMap((s) => s.points.map((p) => p.x)))].sort((a, b) => a - b);
  const top = niceCeiling(Math.max(0, ...chart.series.flatMap((s) => s.points.map((p) => p.y))));
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  // The first and last points stand in from the axes, so that their value labels clear the axis labels.
  const inner = plotWidth - 2 * X_PADDING;
  const xAt = (x: number) => MARGIN.left + X_PADDING + (xs.length < 2 ? inner / 2 : (xs.indexOf(x) / (xs.length - 1)) * inner);
  const yAt = (y: number) => MARGIN.top + plotHeight - (y / top) * plotHeight;
  const round = (n: number) => Math.round(n * 10) / 10;

  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}"` +
      ' font-family="sans-serif" font-size="12">',
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>`,
    `<text x="${WIDTH / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(chart.title)}</text>`,
  ];
  for (let i = 0; i <= 5; i += 1) {
    const value = (top * i) / 5;
    const y = round(yAt(value));
    parts.push(
      `<line x1="${MARGIN.left}" y1="${y}" x2="${MARGIN.left + plotWidth}" y2="${y}" stroke="#e0e0e0"/>`,
      `<text x="${MARGIN.left - 6}" y="${y + 4}" text-anchor="end">${escapeXml(formatValue(value))}</text>`,
    );
  }
  for (const x of xs) {
    parts.push(`<text x="${round(xAt(x))}" y="${MARGIN.top + plotHeight + 18}" text-anchor="middle">${escapeXml(formatValue(x))}</text>`);
  }
  const [bottom, middle] = [MARGIN.top + plotHeight, MARGIN.top + plotHeight / 2];
  parts.push(
    `<line x1="${MARGIN.left}" y1="${bottom}" x2="${MARGIN.left + plotWidth}" y2="${bottom}" stroke="#333"/>`,
    `<text x="${MARGIN.left + plotWidth / 2}" y="${HEIGHT - 10}" text-anchor="middle">${escapeXml(chart.xLabel)}</text>`,
    `<text x="16" y="${middle}" text-anchor="middle" transform="rotate(-90 16 ${middle})">${escapeXml(chart.yLabel)}</text>`,
  );
  const labels: Array<{ x: number; pointY: number; text: string; colour: string }> = [];
  chart.series.forEach((series, index) => {
    const colour = series.colour ?? COLOURS[index % COLOURS.length]!;
    const dash = series.dashed ? ' stroke-dasharray="6 4"' : '';
    const points = [...series.points].sort((a, b) => a.x - b.x);
    if (points.length > 1) {
      const path = points.map((p) => `${round(xAt(p.x))},${round(yAt(p.y))}`).join(' ');
      parts.push(`<polyline points="${path}" fill="none" stroke="${colour}" stroke-width="2"${dash}/>`);
    }
    for (const p of points) {
      const [x, y] = [round(xAt(p.x)), round(yAt(p.y))];
      parts.push(`<circle cx="${x}" cy="${y}" r="3.5" fill="${colour}"/>`);
      labels.push({ x, pointY: y, text: formatValue(p.y), colour });
    }
    const [legendX, legendY] = [WIDTH - MARGIN.right + 15, MARGIN.top + 10 + index * 20];
    parts.push(
      `<line x1="${legendX}" y1="${legendY}" x2="${legendX + 20}" y2="${legendY}" stroke="${colour}" stroke-width="3"${dash}/>`,
      `<text x="${legendX + 25}" y="${legendY + 4}">${escapeXml(series.name)}</text>`,
    );
  });
  for (const x of new Set(labels.map((l) => l.x))) {
    // Top to bottom: a label sits above its point, or below it when the label above would be in the way.
    let previous = -Infinity;
    for (const label of labels.filter((l) => l.x === x).sort((a, b) => a.pointY - b.pointY)) {
      const y = label.pointY - 8 >= previous + LABEL_GAP ? label.pointY - 8 : Math.max(label.pointY + 16, previous + LABEL_GAP);
      previous = y;
      const text = escapeXml(label.text);
      parts.push(`<text x="${x}" y="${round(y)}" text-anchor="middle" fill="${label.colour}" font-size="11">${text}</text>`);
    }
  }
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
