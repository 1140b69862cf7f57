// Stacked charts of counts per time bucket, drawn with uPlot (bundled from npm). uPlot draws lines and areas but
// does not stack, so each series is drawn at its running total over the series below it, filled down to that one
// (a band), while its legend shows its own count.
import uPlot from 'uplot';

export interface Series {
  label: string;
  values: number[];
  color: string;
}

/** Each series' running total over those before it: what a stacked chart draws. */
export function stack(values: number[][]): number[][] {
  const totals: number[][] = [];
  values.forEach((series, i) => {
    totals.push(series.map((v, j) => v + (i > 0 ? (totals[i - 1]?.[j] ?? 0) : 0)));
  });
  return totals;
}

const HEIGHT = 220;
const charts = new Map<HTMLElement, uPlot>();

/** Resizes every chart to its container's width. */
function fitAll(): void {
  for (const [container, chart] of charts) chart.setSize({ width: container.clientWidth, height: HEIGHT });
}
window.addEventListener('resize', fitAll);

/**
 * Draws `series` stacked over `buckets` (their start times, in seconds) in `container`, replacing what was there;
 * `end` closes the last bucket, so its step has a width.
 */
export function drawStacked(container: HTMLElement, buckets: number[], end: number, series: Series[]): void {
  charts.get(container)?.destroy();
  // The last bucket's values repeated at its end: the step drawn after the last start (align 1) needs a point to end at.
  const extend = (values: number[]) => [...values, values.at(-1) ?? 0];
  const stacked = stack(series.map((s) => s.values)).map(extend);
  const options: uPlot.Options = {
    width: container.clientWidth,
    height: HEIGHT,
    scales: { y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
    axes: [{}, { size: 50 }],
    series: [
      {},
      ...series.map(
        (s): uPlot.Series => ({
          label: s.label,
          stroke: s.color,
          fill: `${s.color}88`,
          width: 1,
          paths: uPlot.paths.stepped?.({ align: 1 }),
          points: { show: false },
          value: (_u, _v, _seriesIndex, index) => (index === null ? '–' : String(s.values[index] ?? s.values.at(-1) ?? 0)),
        }),
      ),
    ],
    bands: series.slice(1).map((_s, i) => ({ series: [i + 2, i + 1] as [number, number] })),
  };
  const chart = new uPlot(options, [[...buckets, end], ...stacked], container);
  charts.set(container, chart);
}
