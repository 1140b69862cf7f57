// The report's SVG line chart: round axes, x values as even steps, every point drawn and labelled, text escaped.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatValue, lineChart, niceCeiling } from './chart.ts';

test('the y axis tops out at a round value at or above the largest point', () => {
  assert.deepEqual([0.7, 1, 3, 21, 240, 9802, 18_586].map(niceCeiling), [1, 1, 5, 25, 250, 10_000, 20_000]);
  assert.equal(niceCeiling(0), 1);
});

test('values are printed as a reader takes them in', () => {
  assert.deepEqual([9802.4, 57.26, 1.04, 0].map(formatValue), ['9,802', '57.3', '1', '0']);
});

test('each series is a line through its points, x values evenly spaced in ascending order', () => {
  const svg = lineChart({
    title: '2xx/s',
    xLabel: 'connections',
    yLabel: '2xx/s',
    series: [
      {
        name: 'hookpipe',
        points: [
          { x: 500, y: 100 },
          { x: 10, y: 40 },
          { x: 50, y: 80 },
          { x: 250, y: 90 },
        ],
      },
      {
        name: 'sample',
        points: [
          { x: 10, y: 20 },
          { x: 50, y: 30 },
        ],
      },
    ],
  });
  const lines = [...svg.matchAll(/<polyline points="([^"]+)"/g)].map((m) => m[1]!.split(' ').map((p) => p.split(',').map(Number)));
  assert.equal(lines.length, 2);
  const [hookpipe, sample] = lines as [number[][], number[][]];
  const xs = hookpipe.map(([x]) => x!);
  assert.deepEqual(
    [...xs].sort((a, b) => a - b),
    xs,
    'drawn left to right in ascending x',
  );
  const steps = xs.slice(1).map((x, i) => Math.round(x - xs[i]!));
  assert.ok(
    steps.every((s) => s === steps[0]),
    `even steps: ${steps.join(', ')}`,
  );
  // The sample's two points sit over the same x positions as hookpipe's first two.
  assert.deepEqual(
    sample.map(([x]) => x),
    xs.slice(0, 2),
  );
  // Higher values are drawn higher (smaller y), and the largest one stays inside the plot.
  const ys = hookpipe.map(([, y]) => y!);
  assert.ok(ys[0]! > ys[1]! && ys[1]! > ys[2]! && ys[2]! > ys[3]! && ys[3]! > 0);
  // Every point carries its value, and the legend names each series.
  for (const label of ['40', '80', '90', '100', '20', '30', 'hookpipe', 'sample']) assert.match(svg, new RegExp(`>${label}</text>`));
});

test('text is escaped, so a name cannot break the SVG', () => {
  const svg = lineChart({ title: 'p99 <ms> & "more"', xLabel: 'x', yLabel: 'y', series: [{ name: '<script>', points: [{ x: 1, y: 1 }] }] });
  assert.doesNotMatch(svg, /<script>/);
  assert.match(svg, /p99 &lt;ms&gt; &amp; &quot;more&quot;/);
  assert.match(svg, /&lt;script&gt;/);
});
