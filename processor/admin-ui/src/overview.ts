// The Overview tab: what arrived over a window (1 h to 7 d), from the ledger through GET /admin/api/stats (its shape
// is ops/src/stats-view.ts, the same numbers `hookpipe stats` prints): totals by outcome, events per bucket by
// outcome and by source, the dead-letter queue's depth and its oldest message's age and expiry, the slowest sources.
import { call, query, type Stats } from './api.ts';
import { drawStacked, type Series } from './charts.ts';
import { $, cell, errorText, filterOf, say } from './dom.ts';
import { count, duration, expiresSoon, until } from './format.ts';

/** The outcomes in the order they are stacked and shown; any other the API sends comes after them. */
const STATUS_COLORS: Record<string, string> = {
  processed: '#22aa66',
  ignored: '#9999aa',
  processing: '#dd9900',
  failed: '#ee6633',
  'dead-lettered': '#aa3322',
};
const SOURCE_COLORS = ['#3366cc', '#22aa66', '#dd9900', '#aa33cc', '#ee6633', '#00aaaa', '#cc3366', '#668800'];
const OTHER_COLOR = '#888888';

const HOUR_MS = 3_600_000;
/** The window selector's choices. */
const WINDOWS_MS: Record<string, number> = { '1h': HOUR_MS, '6h': 6 * HOUR_MS, '24h': 24 * HOUR_MS, '7d': 7 * 24 * HOUR_MS };

const form = () => $<HTMLFormElement>('#overview-filter');
/** Every source seen in an unfiltered answer, so the filter keeps offering them while one is chosen. */
const knownSources = new Set<string>();

function ordered(keys: string[]): string[] {
  const known = Object.keys(STATUS_COLORS);
  return [...known.filter((k) => keys.includes(k)), ...keys.filter((k) => !known.includes(k))];
}

function showTotals(stats: Stats): void {
  const byStatus: Record<string, number | undefined> = stats.totals.byStatus;
  for (const card of document.querySelectorAll<HTMLElement>('#totals .card')) {
    const status = card.dataset.status ?? '';
    $('.value', card).textContent = count(status === 'events' ? stats.totals.events : byStatus[status]);
  }
}

function showDeadLetters(dead: Stats['deadLetters']): void {
  $('#dead-depth .value').textContent = `${dead.atLeast ? 'at least ' : ''}${count(dead.depth)}`;
  const oldest = $('#dead-oldest');
  const soon = expiresSoon(dead.oldestExpiresAt);
  oldest.classList.toggle('expiring', soon);
  $('.value', oldest).textContent = dead.oldestAgeSeconds === undefined ? 'none' : duration(dead.oldestAgeSeconds * 1000);
  $('.note', oldest).textContent = dead.oldestExpiresAt
    ? `dropped by the subscription ${until(dead.oldestExpiresAt)} (${new Date(dead.oldestExpiresAt).toLocaleString()})` +
      (soon ? ': redrive it now, or it must be sought back from the topic' : '')
    : '';
}

function showSlowest(slowest: Stats['slowest']): void {
  const rows = slowest.map((s) => {
    const tr = document.createElement('tr');
    tr.dataset.source = s.source;
    cell(tr, s.source);
    cell(tr, count(s.processed));
    cell(tr, duration(s.meanLatencyMs));
    return tr;
  });
  $('#slowest-rows').replaceChildren(...rows);
}

function showSourceChoices(stats: Stats): void {
  if (!stats.window.source) for (const s of stats.sources) knownSources.add(s.source);
  const select = $<HTMLSelectElement>('#overview-filter select[name=source]');
  const chosen = select.value;
  const options = [...knownSources].sort().map((source) => {
    const option = document.createElement('option');
    option.value = source;
    option.textContent = source;
    return option;
  });
  const all = document.createElement('option');
  all.value = '';
  all.textContent = 'all sources';
  select.replaceChildren(all, ...options);
  select.value = chosen;
}

function showCharts(stats: Stats): void {
  const buckets = stats.series.buckets.map((iso) => Date.parse(iso) / 1000);
  const end = Date.parse(stats.window.until) / 1000;
  const byStatus: Record<string, number[] | undefined> = stats.series.byStatus;
  const statuses: Series[] = ordered(Object.keys(byStatus)).map((status) => ({
    label: status,
    values: byStatus[status] ?? [],
    color: STATUS_COLORS[status] ?? OTHER_COLOR,
  }));
  const sources: Series[] = Object.entries(stats.series.bySource).map(([source, values], i) => ({
    label: source,
    values,
    color: source === 'other' ? OTHER_COLOR : (SOURCE_COLORS[i % SOURCE_COLORS.length] ?? OTHER_COLOR),
  }));
  drawStacked($('#chart-status .chart'), buckets, end, statuses);
  drawStacked($('#chart-source .chart'), buckets, end, sources);
}

export async function loadOverview(): Promise<void> {
  const message = $('#overview-message');
  const { window: span, source } = filterOf(form());
  // Sent as an instant, which the API takes as every operation's times are taken (shared/src/date-like.ts).
  const since = new Date(Date.now() - (WINDOWS_MS[span ?? ''] ?? HOUR_MS)).toISOString();
  try {
    const stats = await call<Stats>(`/stats${query({ since, source })}`);
    showTotals(stats);
    showDeadLetters(stats.deadLetters);
    showSlowest(stats.slowest);
    showSourceChoices(stats);
    showCharts(stats);
    const scope = stats.window.source ? `source ${stats.window.source}` : 'all sources';
    const step = duration(stats.window.bucketSeconds * 1000);
    // The API leaves out what would cost too many queries (ops/src/stats-view.ts): said, so no chart or sum misleads.
    const notes = [
      ...(stats.moreSources ? [`only the first ${stats.sources.length} sources by name are counted one by one`] : []),
      ...(stats.sources.length > 0 && Object.keys(stats.series.bySource).length === 0
        ? ['sources are charted for windows up to 24 h']
        : []),
    ];
    say(
      message,
      `${scope}, ${new Date(stats.window.since).toLocaleString()} to ${new Date(stats.window.until).toLocaleString()}, per ${step}` +
        notes.map((note) => `; ${note}`).join(''),
    );
  } catch (error) {
    say(message, `Could not load the overview: ${errorText(error)}`, true);
  }
}

export function setUpOverview(): void {
  form().addEventListener('submit', (event) => {
    event.preventDefault();
    void loadOverview();
  });
  // A new window or source shows at once.
  form().addEventListener('change', () => void loadOverview());
}
