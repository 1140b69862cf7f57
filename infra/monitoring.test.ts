// infra/monitoring.tf against the code and the rest of infra: each log-based metric reads only fields of the line it
// counts (shared/src/metric-lines.ts), or of Cloud Run's request log for the one counted from there
// (test/support/request-log.ts lists them, with Google's pages), and declares the labels it extracts; an accepted
// webhook is counted by exactly one metric whatever the log level; each alert and dashboard chart reads a
// metric that exists (one of these, or one of Google's listed below), with aligners its kind allows, on the
// subscriptions and services of topology.tf; the dead-letter age alert fires before the subscription drops the
// message; every alert notifies var.notification_channels and says what to do. Parsed, since terraform validate
// cannot run here; each check is shown failing on a broken copy.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { before, test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { DeliveryLine, WebhookLine } from '../shared/src/metric-lines.ts';
import {
  applyLogMetric,
  cloudRunEntry,
  comparisons,
  extract,
  type LogEntry,
  type LogMetricSpec,
  parseExtractor,
  parseQuery,
} from '../test/support/logging-query.ts';
import { REQUEST_LOG_FIELDS, requestLogEntry, runAppOrigin } from '../test/support/request-log.ts';
import { type Block, first, readTerraform, type Terraform } from '../test/support/terraform.ts';
import { evaluate, logMetrics } from '../test/support/terraform-values.ts';

const PROJECT = 'my-project';
let tf: Terraform;
before(async () => {
  tf = await readTerraform('infra');
});
const clone = (): Terraform => structuredClone(tf);
const local = (copy: Terraform, name: string) => String(evaluate(copy, `\${local.${name}}`));

// ---- what exists ----

type Kind = 'GAUGE' | 'DELTA';
type ValueType = 'INT64' | 'DISTRIBUTION';
interface MetricInfo {
  resource: string;
  kind: Kind;
  value: ValueType;
  labels: string[];
  /** For a log-based metric: the line it counts and the field each label is extracted from. */
  line?: z.ZodObject;
  labelFields?: Record<string, string>;
  /** Label values its filter leaves out (`NOT field="value"` on the field the label comes from). */
  excluded?: Record<string, string[]>;
}

// Google's metrics, as listed at https://cloud.google.com/monitoring/api/metrics_gcp_p_z (#gcp-pubsub, #gcp-run).
const GOOGLE_METRICS: Record<string, MetricInfo> = {
  'pubsub.googleapis.com/subscription/num_undelivered_messages': {
    resource: 'pubsub_subscription',
    kind: 'GAUGE',
    value: 'INT64',
    labels: [],
  },
  'pubsub.googleapis.com/subscription/oldest_unacked_message_age': {
    resource: 'pubsub_subscription',
    kind: 'GAUGE',
    value: 'INT64',
    labels: [],
  },
  'run.googleapis.com/request_count': {
    resource: 'cloud_run_revision',
    kind: 'DELTA',
    value: 'INT64',
    labels: ['response_code', 'response_code_class', 'route'],
  },
  'run.googleapis.com/request_latencies': {
    resource: 'cloud_run_revision',
    kind: 'DELTA',
    value: 'DISTRIBUTION',
    labels: ['response_code', 'response_code_class', 'route'],
  },
  'run.googleapis.com/container/instance_count': { resource: 'cloud_run_revision', kind: 'GAUGE', value: 'INT64', labels: ['state'] },
};
// Monitored resources: https://cloud.google.com/monitoring/api/resources (pubsub_subscription, cloud_run_revision).
const RESOURCE_LABELS: Record<string, string[]> = {
  pubsub_subscription: ['project_id', 'subscription_id'],
  cloud_run_revision: ['project_id', 'service_name', 'revision_name', 'configuration_name', 'location'],
};
// Which aligners and reducers a metric's kind and value type allow
// (https://cloud.google.com/monitoring/api/ref_v3/rest/v3/projects.alertPolicies#Aligner).
const PERCENTILES = ['50', '95', '99'];
function aggregationAllowed(info: MetricInfo, aligner: string, reducer: string | undefined): boolean {
  const aligners =
    info.value === 'DISTRIBUTION'
      ? ['ALIGN_DELTA', ...PERCENTILES.map((p) => `ALIGN_PERCENTILE_${p}`)]
      : info.kind === 'GAUGE'
        ? ['ALIGN_MAX', 'ALIGN_MIN', 'ALIGN_MEAN', 'ALIGN_NEXT_OLDER']
        : ['ALIGN_RATE', 'ALIGN_DELTA', 'ALIGN_SUM'];
  if (!aligners.includes(aligner)) return false;
  if (reducer === undefined || reducer === 'REDUCE_NONE') return true;
  if (info.value === 'DISTRIBUTION' && aligner === 'ALIGN_DELTA') return PERCENTILES.some((p) => reducer === `REDUCE_PERCENTILE_${p}`);
  return ['REDUCE_SUM', 'REDUCE_MAX', 'REDUCE_MEAN', 'REDUCE_MIN'].includes(reducer);
}

/** The lines of shared/src/metric-lines.ts and the service that writes each. */
const lines = (copy: Terraform) => [
  { schema: WebhookLine as z.ZodObject, service: local(copy, 'ingress_service') },
  { schema: DeliveryLine as z.ZodObject, service: local(copy, 'processor_service') },
];
const accepts = (schema: z.ZodObject, field: string, value: unknown) =>
  field in schema.shape && (schema.shape[field] as z.ZodType).safeParse(value).success;

const stdoutLog = `projects/${PROJECT}/logs/run.googleapis.com%2Fstdout`;
const requestsLog = `projects/${PROJECT}/logs/run.googleapis.com%2Frequests`;
const jsonField = (path: readonly string[]) => (path[0] === 'jsonPayload' && path.length === 2 ? path[1]! : undefined);
const SCOPE = ['resource.type', 'resource.labels.service_name', 'logName'];
const requestLogFields: readonly string[] = REQUEST_LOG_FIELDS;

/** Whether a metric counts Cloud Run's request log: it selects no line of the services' by its `event`. */
const readsRequestLog = (metric: LogMetricSpec) =>
  !comparisons(parseQuery(metric.filter)).some((c) => c.field.join('.') === 'jsonPayload.event');

/** What is wrong with a metric counted from the request log: it reads only the request log's fields, of the ingress. */
function requestLogMetricProblems(copy: Terraform, id: string, metric: LogMetricSpec): string[] {
  const problems: string[] = [];
  const clauses = comparisons(parseQuery(metric.filter));
  const equal = (path: string) => clauses.filter((c) => c.op === '=' && c.field.join('.') === path).map((c) => c.value);
  if (equal('logName').join() !== requestsLog) problems.push(`${id}: not scoped to the request log ${requestsLog}`);
  if (equal('resource.type').join() !== 'cloud_run_revision') problems.push(`${id}: not scoped to resource.type cloud_run_revision`);
  const ingress = local(copy, 'ingress_service');
  if (equal('resource.labels.service_name').join() !== ingress) problems.push(`${id}: not scoped to ${ingress}, whose requests it counts`);
  for (const clause of clauses) {
    const path = clause.field.join('.');
    if (!requestLogFields.includes(path)) problems.push(`${id}: its filter reads ${path}, not a field of Cloud Run's request log`);
  }
  const extractors = metric.label_extractors ?? {};
  for (const [label, expression] of Object.entries(extractors)) {
    const path = parseExtractor(expression).field.join('.');
    if (!requestLogFields.includes(path)) problems.push(`${id}: label ${label} is extracted from ${path}, not a field of the request log`);
  }
  if (metric.value_extractor) problems.push(`${id}: a value from the request log is not what it counts`);
  return [...problems, ...declaredLabelProblems(id, metric)];
}

/** A metric declares exactly the labels it extracts. */
function declaredLabelProblems(id: string, metric: LogMetricSpec): string[] {
  const extracted = Object.keys(metric.label_extractors ?? {}).sort();
  const descriptor = first(metric.metric_descriptor) as NonNullable<LogMetricSpec['metric_descriptor']>[number];
  const declared = (descriptor?.labels ?? []).map((label) => label.key).sort();
  return JSON.stringify(declared) === JSON.stringify(extracted)
    ? []
    : [`${id}: declares labels ${JSON.stringify(declared)} but extracts ${JSON.stringify(extracted)}`];
}

/** What is wrong with one log-based metric, read against the line (or the request log) it counts. */
function logMetricProblems(copy: Terraform, id: string, metric: LogMetricSpec): string[] {
  if (readsRequestLog(metric)) return requestLogMetricProblems(copy, id, metric);
  const problems: string[] = [];
  const clauses = comparisons(parseQuery(metric.filter));
  const equal = (path: string) => clauses.filter((c) => c.op === '=' && c.field.join('.') === path).map((c) => c.value);
  const event = equal('jsonPayload.event');
  const line = lines(copy).find(({ schema }) => event.length === 1 && accepts(schema, 'event', event[0]));
  if (!line) return [`${id}: its filter selects event ${JSON.stringify(event)}, which is no line of shared/src/metric-lines.ts`];
  if (equal('resource.type').join() !== 'cloud_run_revision') problems.push(`${id}: not scoped to resource.type cloud_run_revision`);
  if (equal('resource.labels.service_name').join() !== line.service)
    problems.push(`${id}: not scoped to ${line.service}, which writes the line`);
  if (equal('logName').join() !== stdoutLog) problems.push(`${id}: not scoped to the stdout log ${stdoutLog}`);
  for (const clause of clauses) {
    const path = clause.field.join('.');
    if (SCOPE.includes(path)) continue;
    const field = jsonField(clause.field);
    if (!field || !(field in line.schema.shape)) problems.push(`${id}: its filter reads ${path}, not a field of the line`);
    else if (clause.op !== ':' && !accepts(line.schema, field, clause.value)) {
      problems.push(`${id}: its filter compares ${path} with ${JSON.stringify(clause.value)}, which the line never holds`);
    }
  }
  const extractors = metric.label_extractors ?? {};
  for (const [label, expression] of Object.entries(extractors)) {
    const field = jsonField(parseExtractor(expression).field);
    if (!field || !(field in line.schema.shape))
      problems.push(`${id}: label ${label} is extracted from ${expression}, not a field of the line`);
  }
  problems.push(...declaredLabelProblems(id, metric));
  if (metric.value_extractor) {
    const field = jsonField(parseExtractor(metric.value_extractor).field);
    if (!field || !accepts(line.schema, field, 1) || accepts(line.schema, field, 'text')) {
      problems.push(`${id}: its value is extracted from ${metric.value_extractor}, not a numeric field of the line`);
    }
  }
  return problems;
}

/** Every metric an alert or chart may read: Google's, and infra's log-based ones. */
function knownMetrics(copy: Terraform): Record<string, MetricInfo> {
  const known: Record<string, MetricInfo> = { ...GOOGLE_METRICS };
  for (const metric of Object.values(logMetrics(copy, PROJECT))) {
    const event = comparisons(parseQuery(metric.filter)).find((c) => c.field.join('.') === 'jsonPayload.event')?.value;
    const descriptor = first(metric.metric_descriptor) as NonNullable<LogMetricSpec['metric_descriptor']>[number];
    const fieldOf = (expression: string) => parseExtractor(expression).field.join('.');
    const labelOf = (path: string) => Object.entries(metric.label_extractors ?? {}).find(([, e]) => fieldOf(e) === path)?.[0];
    const excluded: Record<string, string[]> = {};
    const query = parseQuery(metric.filter);
    for (const term of query.kind === 'and' ? query.terms : [query]) {
      const left = term.kind === 'not' && term.term.kind === 'compare' && term.term.op === '=' ? term.term : undefined;
      const label = left && labelOf(left.field.join('.'));
      if (left && label) excluded[label] = [...(excluded[label] ?? []), left.value];
    }
    known[`logging.googleapis.com/user/${metric.name}`] = {
      excluded,
      resource: 'cloud_run_revision',
      kind: 'DELTA',
      value: descriptor?.value_type === 'DISTRIBUTION' ? 'DISTRIBUTION' : 'INT64',
      labels: (descriptor?.labels ?? []).map((label) => label.key),
      line: lines(copy).find(({ schema }) => accepts(schema, 'event', event))?.schema,
      labelFields: Object.fromEntries(
        Object.entries(metric.label_extractors ?? {}).map(([label, expression]) => [
          label,
          jsonField(parseExtractor(expression).field) ?? '',
        ]),
      ),
    };
  }
  return known;
}

interface Series {
  where: string;
  filter: string;
  aligner: string;
  reducer?: string;
  groupBy: string[];
}

/** What a time-series filter selects: its metric, and its resource and metric labels. */
function selection(filter: string) {
  const selected = {
    metric: '',
    resource: '',
    resourceLabels: {} as Record<string, string[]>,
    metricLabels: {} as Record<string, string[]>,
    /** Metric label values left out with `NOT metric.labels.x = "v"`. */
    excludedMetricLabels: {} as Record<string, string[]>,
  };
  const add = (labels: Record<string, string[]>, key: string, value: string) => {
    labels[key] = [...(labels[key] ?? []), value];
  };
  const query = parseQuery(filter);
  const negated = new Set((query.kind === 'and' ? query.terms : [query]).flatMap((term) => (term.kind === 'not' ? comparisons(term) : [])));
  for (const comparison of comparisons(query)) {
    const { field, op, value } = comparison;
    const path = field.join('.');
    if (op !== '=') throw new Error(`only = in time-series filters here: ${filter}`);
    const label = field.length === 3 && field[1] === 'labels' ? field[2] : undefined;
    if (negated.has(comparison)) {
      if (!(label && field[0] === 'metric')) throw new Error(`only metric labels are negated here: ${filter}`);
      add(selected.excludedMetricLabels, label, value);
    } else if (path === 'metric.type') selected.metric = value;
    else if (path === 'resource.type') selected.resource = value;
    else if (label && field[0] === 'resource') add(selected.resourceLabels, label, value);
    else if (label && field[0] === 'metric') add(selected.metricLabels, label, value);
    else throw new Error(`a field time-series filters here do not use: ${path}`);
  }
  return selected;
}

/** What is wrong with one series an alert or chart reads. */
function seriesProblems(copy: Terraform, series: Series): string[] {
  const { where } = series;
  const selected = selection(series.filter);
  const info = knownMetrics(copy)[selected.metric];
  if (!info) return [`${where}: reads ${JSON.stringify(selected.metric)}, a metric that does not exist`];
  const problems: string[] = [];
  if (selected.resource !== info.resource) problems.push(`${where}: resource.type ${selected.resource} is not ${info.resource}'s`);
  const ids: Record<string, string[]> = {
    subscription_id: [local(copy, 'push_subscription'), local(copy, 'dead_letter_subscription')],
    service_name: [local(copy, 'ingress_service'), local(copy, 'processor_service')],
  };
  for (const [label, values] of Object.entries(selected.resourceLabels)) {
    if (!RESOURCE_LABELS[info.resource]?.includes(label)) problems.push(`${where}: ${info.resource} has no label ${label}`);
    for (const value of values) {
      if (ids[label] && !ids[label].includes(value))
        problems.push(`${where}: ${label} ${value} is none of infra's ${ids[label].join(', ')}`);
    }
  }
  if (info.resource === 'pubsub_subscription' && !selected.resourceLabels.subscription_id) problems.push(`${where}: no subscription_id`);
  if (info.resource === 'cloud_run_revision' && !selected.resourceLabels.service_name) problems.push(`${where}: no service_name`);
  for (const [label, values] of Object.entries(selected.metricLabels)) {
    if (!info.labels.includes(label)) problems.push(`${where}: ${selected.metric} has no label ${label}`);
    const field = info.labelFields?.[label];
    for (const value of values) {
      if (info.line && field && !accepts(info.line, field, value)) problems.push(`${where}: ${label} is never ${JSON.stringify(value)}`);
      if (info.excluded?.[label]?.includes(value)) {
        problems.push(`${where}: ${label} is never ${JSON.stringify(value)}: ${selected.metric}'s filter leaves those out`);
      }
    }
  }
  if (!aggregationAllowed(info, series.aligner, series.reducer)) {
    problems.push(`${where}: ${series.aligner}/${series.reducer ?? '-'} does not apply to a ${info.kind} ${info.value} metric`);
  }
  for (const field of series.groupBy) {
    const [scope, kind, label] = field.split('.');
    const labels = scope === 'metric' ? info.labels : scope === 'resource' ? RESOURCE_LABELS[info.resource] : undefined;
    if (kind !== 'label' || !label || !labels?.includes(label))
      problems.push(`${where}: groups by ${field}, which ${selected.metric} lacks`);
  }
  return problems;
}

// ---- alerts ----

const policies = (copy: Terraform) => Object.entries(copy.resources.google_monitoring_alert_policy ?? {});
const thresholdOf = (policy: Block) => first(first(policy.conditions).condition_threshold);

function alertSeries(copy: Terraform): Series[] {
  return policies(copy).flatMap(([id, policy]) =>
    ((policy.conditions ?? []) as Block[]).flatMap((condition, index) => {
      const threshold = first(condition.condition_threshold);
      const of = (filter: unknown, aggregations: unknown, role: string): Series => {
        const aggregation = first(aggregations ?? {});
        return {
          where: `alert ${id} condition ${index} ${role}`,
          filter: String(evaluate(copy, filter)),
          aligner: String(aggregation.per_series_aligner),
          reducer: aggregation.cross_series_reducer as string | undefined,
          groupBy: (aggregation.group_by_fields ?? []) as string[],
        };
      };
      return [
        of(threshold.filter, threshold.aggregations, 'filter'),
        ...(threshold.denominator_filter ? [of(threshold.denominator_filter, threshold.denominator_aggregations, 'denominator')] : []),
      ];
    }),
  );
}

function alertProblems(copy: Terraform): string[] {
  const problems = alertSeries(copy).flatMap((series) => seriesProblems(copy, series));
  for (const [id, policy] of policies(copy)) {
    if (policy.notification_channels !== '${var.notification_channels}')
      problems.push(`alert ${id}: does not notify var.notification_channels`);
    const documentation = first(policy.documentation ?? {});
    if (documentation?.mime_type !== 'text/markdown' || String(documentation.content ?? '').trim().length < 80) {
      problems.push(`alert ${id}: no documentation saying what to do`);
    }
    if (!((policy.conditions ?? []) as Block[]).length) problems.push(`alert ${id}: no condition`);
  }
  return problems;
}

// ---- dashboard ----

/** The template dashboard_json renders, and the local that gives its variables. */
function dashboardTemplate(copy: Terraform): { file: string; vars: string } {
  const call = String(copy.resources.google_monitoring_dashboard?.pipeline?.dashboard_json);
  const match = /^\$\{templatefile\("\$\{path\.module\}\/([\w.-]+)", local\.(\w+)\)\}$/.exec(call);
  assert.ok(match, `dashboard_json is templatefile(<file>, local.<vars>): ${call}`);
  return { file: `infra/${match[1]}`, vars: match[2]! };
}

/** The dashboard as Terraform would send it: the template (or a broken copy of it) rendered as templatefile does. */
function renderDashboard(copy: Terraform, template?: string): { tiles: Block[] } {
  const { file, vars: name } = dashboardTemplate(copy);
  const vars = evaluate(copy, copy.locals[name]) as Record<string, string | number>;
  const rendered = (template ?? readFileSync(file, 'utf8')).replace(/\$\{(\w+)\}/g, (_, key: string) => {
    if (!(key in vars)) throw new Error(`the dashboard template uses \${${key}}, which local.${name} does not give`);
    return String(vars[key]);
  });
  assert.ok(!/[$%]\{/.test(rendered), 'no template syntax left after rendering');
  return (JSON.parse(rendered) as { mosaicLayout: { tiles: Block[] } }).mosaicLayout;
}

const charts = (copy: Terraform, template?: string) =>
  renderDashboard(copy, template).tiles.map(
    (tile) => first(tile.widget) as { title: string; xyChart: { dataSets: Block[]; thresholds?: Block[] } },
  );

function chartSeries(copy: Terraform, template?: string): Series[] {
  return charts(copy, template).flatMap((chart) =>
    chart.xyChart.dataSets.map((dataSet, index) => {
      const query = (dataSet.timeSeriesQuery as Block).timeSeriesFilter as Block;
      const aggregation = query.aggregation as Block;
      return {
        where: `chart "${chart.title}" series ${index}`,
        filter: String(query.filter),
        aligner: String(aggregation.perSeriesAligner),
        reducer: aggregation.crossSeriesReducer as string | undefined,
        groupBy: (aggregation.groupByFields ?? []) as string[],
      };
    }),
  );
}

// ---- the tests ----

test('each log-based metric reads only fields of its line, from the service that writes it, and declares what it extracts', () => {
  const metrics = logMetrics(tf, PROJECT);
  assert.deepEqual(Object.keys(metrics).sort(), ['deliveries', 'delivery_latency', 'webhooks', 'webhooks_accepted']);
  assert.deepEqual(
    Object.entries(metrics).flatMap(([id, metric]) => logMetricProblems(tf, id, metric)),
    [],
  );
  const labels = (id: string) => Object.keys(metrics[id]!.label_extractors ?? {}).sort();
  assert.deepEqual(labels('webhooks'), ['code', 'outcome', 'source']);
  assert.deepEqual(labels('webhooks_accepted'), ['source', 'status']);
  assert.ok(readsRequestLog(metrics.webhooks_accepted!) && !readsRequestLog(metrics.webhooks!));
  assert.deepEqual(labels('deliveries'), ['outcome', 'source']);
  assert.deepEqual(labels('delivery_latency'), ['source']);
  assert.equal(first(metrics.delivery_latency!.metric_descriptor).value_type, 'DISTRIBUTION');
});

test('the metric check catches a field the line lacks, an undeclared label, a wrong event, a value the line never holds', () => {
  const broken = (change: (metric: Block) => void, id = 'deliveries') => {
    const copy = clone();
    change(copy.resources.google_logging_metric![id]!);
    return Object.entries(logMetrics(copy, PROJECT))
      .flatMap(([name, metric]) => logMetricProblems(copy, name, metric))
      .join('\n');
  };
  assert.match(
    broken((m) => ((m.label_extractors as Block).reason = 'EXTRACT(jsonPayload.reason)')),
    /label reason is extracted from EXTRACT\(jsonPayload.reason\), not a field of the line[\s\S]*declares labels/,
  );
  assert.match(
    broken((m) => (first(m.metric_descriptor).labels as Block[]).pop()),
    /deliveries: declares labels \["source"\] but extracts \["outcome","source"\]/,
  );
  assert.match(
    broken((m) => (m.filter = String(m.filter).replace('"delivery"', '"deliveries"'))),
    /deliveries: its filter selects event \["deliveries"\], which is no line/,
  );
  assert.match(
    broken((m) => (m.filter = `${String(m.filter)} AND jsonPayload.outcome="retried"`)),
    /compares jsonPayload.outcome with "retried", which the line never holds/,
  );
  assert.match(
    broken((m) => (m.filter = String(m.filter).replace('processor_service', 'ingress_service'))),
    /not scoped to hookpipe-processor/,
  );
  assert.match(
    broken((m) => (m.filter = String(m.filter).replace('${local.stdout_log}', 'projects/my-project/logs/run.googleapis.com%2Fstderr'))),
    /not scoped to the stdout log/,
  );
  assert.match(
    broken((m) => (m.value_extractor = 'EXTRACT(jsonPayload.deliveryId)'), 'delivery_latency'),
    /its value is extracted from EXTRACT\(jsonPayload.deliveryId\), not a numeric field/,
  );
});

test('the request-log metric check catches an app field, an undeclared label, another service, another log', () => {
  const broken = (change: (metric: Block) => void) => {
    const copy = clone();
    change(copy.resources.google_logging_metric!.webhooks_accepted!);
    return Object.entries(logMetrics(copy, PROJECT))
      .flatMap(([name, metric]) => logMetricProblems(copy, name, metric))
      .join('\n');
  };
  assert.equal(
    broken(() => {}),
    '',
  );
  assert.match(
    broken((m) => ((m.label_extractors as Block).source = 'EXTRACT(jsonPayload.source)')),
    /webhooks_accepted: label source is extracted from jsonPayload.source, not a field of the request log/,
  );
  assert.match(
    broken((m) => (m.filter = `${String(m.filter)} AND jsonPayload.outcome="accepted"`)),
    /webhooks_accepted: its filter reads jsonPayload.outcome, not a field of Cloud Run's request log/,
  );
  assert.match(
    broken((m) => (m.filter = String(m.filter).replace('httpRequest.status>=200', 'httpRequest.code>=200'))),
    /its filter reads httpRequest.code, not a field/,
  );
  assert.match(
    broken((m) => ((m.label_extractors as Block).latency = 'EXTRACT(httpRequest.latency)')),
    /webhooks_accepted: declares labels \["source","status"\] but extracts \["latency","source","status"\]/,
  );
  assert.match(
    broken((m) => (m.filter = String(m.filter).replace('ingress_service', 'processor_service'))),
    /webhooks_accepted: not scoped to hookpipe-ingress, whose requests it counts/,
  );
  assert.match(
    broken((m) => (m.filter = String(m.filter).replace('${local.requests_log}', '${local.stdout_log}'))),
    /webhooks_accepted: not scoped to the request log/,
  );
});

/** A line as the services write it (shared/src/logger.ts's fields around the metric line), checked by its schema. */
function line(schema: z.ZodObject, fields: Record<string, unknown>): string {
  schema.parse(fields);
  return JSON.stringify({ severity: 'INFO', time: '2026-11-25T10:00:00.000Z', message: String(fields.event), ...fields });
}

const countBy = (metric: LogMetricSpec, entries: readonly LogEntry[]) =>
  applyLogMetric(metric, entries)
    .map(({ labels, count, values }) => ({ labels, count, values }))
    .sort((a, b) => JSON.stringify(a.labels).localeCompare(JSON.stringify(b.labels)));

test('the metrics count the lines of their own service on stdout, with their labels, and nothing else', () => {
  const metrics = logMetrics(tf, PROJECT);
  const ingress = local(tf, 'ingress_service');
  const processor = local(tf, 'processor_service');
  const from = (service: string, text: string, stream: 'stdout' | 'stderr' = 'stdout') =>
    cloudRunEntry(text, { projectId: PROJECT, service, stream });
  const accepted = line(WebhookLine, { event: 'webhook', outcome: 'accepted', source: 'stripe', deliveryId: 'evt_1', messageId: '1' });
  const unknown = line(WebhookLine, { event: 'webhook', outcome: 'refused', code: 'not_found' });
  const processed = line(DeliveryLine, { event: 'delivery', outcome: 'processed', source: 'stripe', messageId: '1', latencyMs: 42 });
  const retry = line(DeliveryLine, { event: 'delivery', outcome: 'retry', source: 'stripe', messageId: '2', latencyMs: 7 });
  // The ingress's refusal carries an httpRequest, lifted into the entry: still a stdout entry, not the request log.
  const withRequest = JSON.stringify({
    ...JSON.parse(unknown),
    httpRequest: { requestMethod: 'POST', requestUrl: '/webhooks/stripe', status: 202 },
  });
  const entries: LogEntry[] = [
    from(ingress, unknown),
    from(processor, processed),
    from(processor, retry),
    // None of these count: an accepted line (written at debug only: its webhook is counted from the request log),
    // another service, stderr, another project, a request log, a line that is not JSON.
    from(ingress, accepted),
    from(processor, accepted),
    from(ingress, processed),
    from(ingress, unknown, 'stderr'),
    cloudRunEntry(unknown, { projectId: 'other-project', service: ingress }),
    { ...from(ingress, unknown), logName: requestsLog },
    from(ingress, 'event=webhook outcome=refused'),
  ];
  assert.deepEqual(countBy(metrics.webhooks!, [...entries, from(ingress, withRequest)]), [
    { labels: { code: 'not_found', outcome: 'refused', source: '' }, count: 2, values: [] },
  ]);
  assert.deepEqual(countBy(metrics.webhooks_accepted!, [...entries, from(ingress, withRequest)]), [], 'no stdout entry, whatever it holds');
  assert.deepEqual(countBy(metrics.deliveries!, entries), [
    { labels: { outcome: 'processed', source: 'stripe' }, count: 1, values: [] },
    { labels: { outcome: 'retry', source: 'stripe' }, count: 1, values: [] },
  ]);
  assert.deepEqual(countBy(metrics.delivery_latency!, entries), [{ labels: { source: 'stripe' }, count: 1, values: [42] }]);
});

/** One request to the ingress as Cloud Logging holds it: Cloud Run's request-log entry and the ingress's line, if any. */
function exchange(
  method: string,
  path: string,
  status: number,
  fields?: Record<string, unknown>,
  service = local(tf, 'ingress_service'),
): LogEntry[] {
  const trace = { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), sampled: false };
  const request = requestLogEntry(
    { method, path, status, seconds: 0.01, requestBytes: 10, responseBytes: 0, at: new Date(0), trace },
    { projectId: PROJECT, service, origin: runAppOrigin(service) },
  );
  const app = fields && cloudRunEntry(line(WebhookLine, { event: 'webhook', ...fields }), { projectId: PROJECT, service });
  return app ? [request, app] : [request];
}

/** Each exchange at LOG_LEVEL=debug (every line written), and how many times the two ingress metrics count it. */
function countsPerExchange(copy: Terraform) {
  const metrics = logMetrics(copy, PROJECT);
  const accepted = (source: string, status: number) =>
    exchange('POST', `/webhooks/${source}`, status, { outcome: 'accepted', source, deliveryId: 'd', messageId: '1' });
  const cases: Record<string, LogEntry[]> = {
    'accepted, 202': accepted('stripe', 202),
    "accepted, Adyen's 200": accepted('adyen', 200),
    "accepted, Discord's 204": accepted('discord', 204),
    'refused, 401': exchange('POST', '/webhooks/stripe', 401, { outcome: 'refused', source: 'stripe', code: 'unauthorized' }),
    'refused, unknown source': exchange('POST', '/webhooks/nope', 404, { outcome: 'refused', code: 'not_found' }),
    'deferred, 503': exchange('POST', '/webhooks/stripe', 503, { outcome: 'deferred', source: 'stripe', code: 'overloaded' }),
    'failed, 500': exchange('POST', '/webhooks/stripe', 500, { outcome: 'failed', source: 'stripe', code: 'internal' }),
    'GET handshake': exchange('GET', '/webhooks/whatsapp?hub.mode=subscribe&hub.challenge=1', 200, {
      outcome: 'handshake',
      source: 'whatsapp',
    }),
    'POST handshake': exchange('POST', '/webhooks/slack', 200, { outcome: 'handshake', source: 'slack' }),
    'a health check': exchange('GET', '/healthz', 200),
    "the processor's push": exchange('POST', '/webhooks/stripe', 202, undefined, local(copy, 'processor_service')),
  };
  return Object.fromEntries(
    Object.entries(cases).map(([name, entries]) => [
      name,
      [metrics.webhooks!, metrics.webhooks_accepted!].map((metric) => applyLogMetric(metric, entries).reduce((n, s) => n + s.count, 0)),
    ]),
  );
}

test('an accepted webhook is counted once, from the request log, even at debug where the ingress also writes its line', () => {
  // [hookpipe/webhooks, hookpipe/webhooks_accepted] for each exchange.
  assert.deepEqual(countsPerExchange(tf), {
    'accepted, 202': [0, 1],
    "accepted, Adyen's 200": [0, 1],
    "accepted, Discord's 204": [0, 1],
    'refused, 401': [1, 0],
    'refused, unknown source': [1, 0],
    'deferred, 503': [1, 0],
    'failed, 500': [1, 0],
    'GET handshake': [1, 0],
    // Answered 200 like an accepted webhook: in both, as infra/README.md says (once per subscription).
    'POST handshake': [1, 1],
    'a health check': [0, 0],
    "the processor's push": [0, 0],
  });
  const metrics = logMetrics(tf, PROJECT);
  assert.deepEqual(
    countBy(metrics.webhooks_accepted!, [...exchange('POST', '/webhooks/adyen', 200), ...exchange('POST', '/webhooks/stripe', 202)]),
    [
      { labels: { source: 'adyen', status: '200' }, count: 1, values: [] },
      { labels: { source: 'stripe', status: '202' }, count: 1, values: [] },
    ],
  );

  const twice = clone();
  const webhooks = twice.resources.google_logging_metric!.webhooks!;
  webhooks.filter = String(webhooks.filter).replace('AND NOT jsonPayload.outcome="accepted"', '');
  assert.deepEqual(countsPerExchange(twice)['accepted, 202'], [1, 1], 'without the exclusion, a debug line is counted again');
});

test("the source label is a configured source's name or empty, whatever the URL's spelling", () => {
  const extractor = parseExtractor(logMetrics(tf, PROJECT).webhooks_accepted!.label_extractors!.source!);
  const url = (path: string) => `${runAppOrigin(local(tf, 'ingress_service'))}${path}`;
  const sourceOf = (path: string) => extract(extractor, { ...exchange('POST', path, 202)[0]! }) ?? '';
  const configured = (parseYaml(readFileSync('config/sources.local.yaml', 'utf8')) as { sources: Array<{ name: string }> }).sources;
  for (const { name } of configured) assert.equal(sourceOf(`/webhooks/${name}`), name, url(`/webhooks/${name}`));
  // The longest and shortest names sources.ts allows.
  for (const name of ['a', `a${'-_9'.repeat(20)}xy`]) assert.equal(sourceOf(`/webhooks/${name}`), name);
  assert.equal(sourceOf('/webhooks/graph?validationToken=x'), 'graph', 'the query string is not part of it');
  // Spellings a router may still send to a source: never labels of their own.
  for (const path of ['/webhooks/%73tripe', '/webhooks/Stripe', '/webhooks/stripe%00x', '/webhooks/stripe/x', '/webhooks//stripe']) {
    assert.equal(sourceOf(path), '', path);
  }
});

test("the latency buckets reach past the dead-letter subscription's retention, so a redriven event lands in a finite bucket", () => {
  const buckets = first(first(logMetrics(tf, PROJECT).delivery_latency!.bucket_options).exponential_buckets) as Record<string, number>;
  const top = (b: Record<string, number>) => b.scale! * b.growth_factor! ** b.num_finite_buckets!;
  assert.ok(buckets.num_finite_buckets! <= 200, 'at most 200 buckets');
  assert.ok(top(buckets) >= Number(local(tf, 'dead_letter_retention_seconds')) * 1000, `${top(buckets)} ms`);
  assert.ok(top({ ...buckets, num_finite_buckets: 50 }) < Number(local(tf, 'dead_letter_retention_seconds')) * 1000, 'the check can fail');
});

test('the alerts: dead letters waiting, the oldest about to expire, push backlog, ingress 5xx ratio, dead-lettered rate', () => {
  assert.deepEqual(alertProblems(tf), []);
  const read = (id: string) => {
    const threshold = thresholdOf(tf.resources.google_monitoring_alert_policy![id]!);
    const filter = selection(String(evaluate(tf, threshold.filter)));
    const denominator = threshold.denominator_filter ? selection(String(evaluate(tf, threshold.denominator_filter))) : undefined;
    return { filter, denominator, threshold: threshold.threshold_value, comparison: threshold.comparison };
  };
  const dlq = local(tf, 'dead_letter_subscription');
  const push = local(tf, 'push_subscription');
  const ingress = local(tf, 'ingress_service');
  const alerts = Object.fromEntries(policies(tf).map(([id]) => [id, read(id)]));
  assert.deepEqual(Object.keys(alerts).sort(), ['dead_letter_age', 'dead_lettered_rate', 'dead_letters', 'ingress_errors', 'push_backlog']);
  for (const alert of Object.values(alerts)) assert.equal(alert.comparison, 'COMPARISON_GT');

  assert.equal(alerts.dead_letters!.filter.metric, 'pubsub.googleapis.com/subscription/num_undelivered_messages');
  assert.deepEqual(alerts.dead_letters!.filter.resourceLabels, { subscription_id: [dlq] });
  assert.equal(alerts.dead_letters!.threshold, 0, 'any message');

  assert.equal(alerts.dead_letter_age!.filter.metric, 'pubsub.googleapis.com/subscription/oldest_unacked_message_age');
  assert.deepEqual(alerts.dead_letter_age!.filter.resourceLabels, { subscription_id: [dlq] });

  assert.equal(alerts.push_backlog!.filter.metric, 'pubsub.googleapis.com/subscription/oldest_unacked_message_age');
  assert.deepEqual(alerts.push_backlog!.filter.resourceLabels, { subscription_id: [push] });
  assert.equal(alerts.push_backlog!.threshold, '${var.push_oldest_unacked_alert_seconds}');

  assert.equal(alerts.ingress_errors!.filter.metric, 'run.googleapis.com/request_count');
  assert.deepEqual(alerts.ingress_errors!.filter.resourceLabels, { service_name: [ingress] });
  assert.deepEqual(alerts.ingress_errors!.filter.metricLabels, { response_code_class: ['5xx'] });
  // Refusals (a stranger's 404s and 401s) are out of the denominator, so junk cannot dilute a real outage's ratio.
  assert.deepEqual(
    alerts.ingress_errors!.denominator,
    { ...alerts.ingress_errors!.filter, metricLabels: {}, excludedMetricLabels: { response_code_class: ['4xx'] } },
    'a ratio of the requests not refused',
  );
  assert.equal(alerts.ingress_errors!.threshold, '${var.ingress_5xx_ratio_alert}');

  assert.equal(alerts.dead_lettered_rate!.filter.metric, `logging.googleapis.com/user/${logMetrics(tf, PROJECT).deliveries!.name}`);
  assert.deepEqual(alerts.dead_lettered_rate!.filter.metricLabels, { outcome: ['dead-lettered'] });
  assert.equal(
    alerts.dead_lettered_rate!.threshold,
    '${var.dead_lettered_per_minute_alert / 60}',
    'per second, from a per-minute variable',
  );
  // Naming the metric through its resource makes Terraform create it before the alert.
  assert.match(
    String(thresholdOf(tf.resources.google_monitoring_alert_policy!.dead_lettered_rate!).filter),
    /\$\{google_logging_metric\.deliveries\.name\}/,
  );
});

test('the alert check catches a missing metric, a wrong subscription, a label or aligner the metric lacks, no channel, no text', () => {
  const broken = (id: string, change: (policy: Block, threshold: Block) => void) => {
    const copy = clone();
    const policy = copy.resources.google_monitoring_alert_policy![id]!;
    change(policy, thresholdOf(policy));
    return alertProblems(copy).join('\n');
  };
  assert.match(
    broken('dead_letters', (_, t) => (t.filter = String(t.filter).replace('num_undelivered_messages', 'undelivered_messages'))),
    /reads "pubsub.googleapis.com\/subscription\/undelivered_messages", a metric that does not exist/,
  );
  assert.match(
    broken('push_backlog', (_, t) => (t.filter = String(t.filter).replace('${local.push_subscription}', 'webhook-events-push'))),
    /subscription_id webhook-events-push is none of infra's webhook-events-processor, webhook-events-dlq-sub/,
  );
  assert.match(
    broken('ingress_errors', (_, t) => (t.filter = String(t.filter).replace('response_code_class', 'status_class'))),
    /run.googleapis.com\/request_count has no label status_class/,
  );
  assert.match(
    broken('dead_lettered_rate', (_, t) => (t.filter = String(t.filter).replace('"dead-lettered"', '"deadlettered"'))),
    /outcome is never "deadlettered"/,
  );
  assert.match(
    broken('dead_letters', (_, t) => (first(t.aggregations).per_series_aligner = 'ALIGN_RATE')),
    /ALIGN_RATE\/- does not apply to a GAUGE INT64 metric/,
  );
  assert.match(
    broken('ingress_errors', (_, t) => (first(t.aggregations).group_by_fields = ['metric.label.source'])),
    /groups by metric.label.source, which run.googleapis.com\/request_count lacks/,
  );
  assert.match(
    broken('dead_letter_age', (p) => delete p.notification_channels),
    /dead_letter_age: does not notify var.notification_channels/,
  );
  assert.match(
    broken('push_backlog', (p) => delete p.documentation),
    /push_backlog: no documentation saying what to do/,
  );
  assert.equal(tf.variables.notification_channels?.type, '${list(string)}');
  assert.deepEqual(tf.variables.notification_channels?.default, []);
});

/** The dead-letter age alert's threshold in seconds, and its text as Terraform renders it. */
function deadLetterAge(copy: Terraform) {
  const policy = copy.resources.google_monitoring_alert_policy!.dead_letter_age!;
  return {
    threshold: Number(evaluate(copy, thresholdOf(policy).threshold_value)),
    retention: Number(local(copy, 'dead_letter_retention_seconds')),
    raw: String(first(policy.documentation).content),
    text: String(evaluate(copy, first(policy.documentation).content)),
  };
}
function deadLetterAgeProblems(copy: Terraform): string[] {
  const { threshold, retention, raw } = deadLetterAge(copy);
  const problems: string[] = [];
  if (!(threshold < retention - 86400))
    problems.push(`the alert at ${threshold} s leaves less than a day before the subscription drops at ${retention} s`);
  if (!(threshold > retention / 2)) problems.push(`the alert at ${threshold} s fires long before a dead letter is in danger`);
  for (const name of ['dead_letter_retention_seconds', 'dead_letter_topic_retention_seconds', 'dead_letter_alert_age_seconds']) {
    if (!raw.includes(`\${local.${name} / 86400}`)) problems.push(`its text does not take ${name} from topology.tf`);
  }
  return problems;
}

test('the dead-letter age alert fires before the subscription drops the message; its text takes the retentions from topology.tf', () => {
  assert.deepEqual(deadLetterAgeProblems(tf), []);
  const { threshold, text } = deadLetterAge(tf);
  assert.equal(threshold, 5 * 86400, 'with the 7 days of topology.tf: 5 days, as the issue asks');
  assert.match(text, /older than\s+5 days/);
  assert.match(text, /drops a dead letter\s+7 days after/);
  assert.match(text, /retention \(31\s+days\)/);

  const late = clone();
  late.locals.dead_letter_alert_margin_seconds = '${86400 / 2}';
  assert.match(
    deadLetterAgeProblems(late).join('\n'),
    /the alert at 561600 s leaves less than a day before the subscription drops at 604800 s/,
  );
  const shorter = clone();
  shorter.locals.dead_letter_retention_seconds = 2 * 86400;
  assert.match(deadLetterAgeProblems(shorter).join('\n'), /the alert at 0 s fires long before a dead letter is in danger/);
  const literal = clone();
  const documentation = first(literal.resources.google_monitoring_alert_policy!.dead_letter_age!.documentation);
  documentation.content = String(documentation.content).replace('${local.dead_letter_retention_seconds / 86400}', '7');
  assert.match(deadLetterAgeProblems(literal).join('\n'), /does not take dead_letter_retention_seconds from topology.tf/);
});

test("the push backlog alert's default is above the longest one event's own retries can take", () => {
  const attempts = Number(local(tf, 'max_delivery_attempts'));
  const perAttempt = Number(local(tf, 'ack_deadline_seconds')) + Number(local(tf, 'maximum_backoff_seconds'));
  assert.ok(Number(tf.variables.push_oldest_unacked_alert_seconds?.default) > attempts * perAttempt);
  assert.match(String(tf.variables.push_oldest_unacked_alert_seconds?.description), new RegExp(`= ${attempts * perAttempt} s`));
});

function dashboardProblems(copy: Terraform, template?: string): string[] {
  const problems = chartSeries(copy, template).flatMap((series) => seriesProblems(copy, series));
  const tiles = renderDashboard(copy, template).tiles as Array<{ xPos?: number; yPos?: number; width: number; height: number }>;
  const cells = new Set<string>();
  for (const [index, tile] of tiles.entries()) {
    for (let x = tile.xPos ?? 0; x < (tile.xPos ?? 0) + tile.width; x++) {
      for (let y = tile.yPos ?? 0; y < (tile.yPos ?? 0) + tile.height; y++) {
        if (x >= 48) problems.push(`tile ${index} is wider than the 48 columns`);
        if (cells.has(`${x},${y}`)) problems.push(`tile ${index} overlaps another at ${x},${y}`);
        cells.add(`${x},${y}`);
      }
    }
  }
  // A threshold drawn on a chart is the one its alert fires at.
  const alerts = policies(copy).map(([, policy]) => ({
    filter: selection(String(evaluate(copy, thresholdOf(policy).filter))),
    value: Number(evaluate(copy, thresholdOf(policy).threshold_value)),
  }));
  for (const chart of charts(copy, template)) {
    for (const threshold of chart.xyChart.thresholds ?? []) {
      const query = ((chart.xyChart.dataSets[0]!.timeSeriesQuery as Block).timeSeriesFilter as Block).filter;
      const shown = selection(String(query));
      const alert = alerts.find((a) => JSON.stringify(a.filter) === JSON.stringify(shown));
      if (alert?.value !== threshold.value) problems.push(`chart "${chart.title}": threshold ${String(threshold.value)} is no alert's`);
    }
  }
  return [...new Set(problems)];
}

test("the dashboard charts every metric of the pipeline, each one that exists, on infra's subscriptions and services", () => {
  assert.deepEqual(dashboardProblems(tf), []);
  const shown = new Set(
    chartSeries(tf).map(({ filter }) => {
      const { metric, resourceLabels } = selection(filter);
      return [metric, ...(resourceLabels.subscription_id ?? []), ...(resourceLabels.service_name ?? [])].join(' ');
    }),
  );
  const metric = (id: string) => `logging.googleapis.com/user/${logMetrics(tf, PROJECT)[id]!.name}`;
  const [ingress, processor] = [local(tf, 'ingress_service'), local(tf, 'processor_service')];
  for (const expected of [
    `${metric('webhooks')} ${ingress}`,
    `${metric('webhooks_accepted')} ${ingress}`,
    `${metric('deliveries')} ${processor}`,
    `${metric('delivery_latency')} ${processor}`,
    ...['dead_letter_subscription', 'push_subscription'].flatMap((sub) => [
      `pubsub.googleapis.com/subscription/num_undelivered_messages ${local(tf, sub)}`,
      `pubsub.googleapis.com/subscription/oldest_unacked_message_age ${local(tf, sub)}`,
    ]),
    `run.googleapis.com/request_count ${ingress}`,
    `run.googleapis.com/request_latencies ${ingress}`,
    `run.googleapis.com/container/instance_count ${ingress} ${processor}`,
  ]) {
    assert.ok(shown.has(expected), `a chart of ${expected}`);
  }
  const latency = charts(tf).find((chart) => /p50, p95, p99/.test(chart.title));
  assert.deepEqual(
    latency?.xyChart.dataSets.map(
      (d) => (((d.timeSeriesQuery as Block).timeSeriesFilter as Block).aggregation as Block).crossSeriesReducer,
    ),
    ['REDUCE_PERCENTILE_50', 'REDUCE_PERCENTILE_95', 'REDUCE_PERCENTILE_99'],
  );
});

test('the dashboard check catches a wrong subscription, a missing metric, a threshold no alert has, overlapping tiles', () => {
  const template = readFileSync(dashboardTemplate(tf).file, 'utf8');
  const broken = (text: string, copy = clone()) => dashboardProblems(copy, text).join('\n');
  assert.equal(broken(template), '');
  assert.match(broken(template.replace('${push_subscription}', 'webhook-events')), /subscription_id webhook-events is none of infra's/);
  assert.match(
    broken(template.replace('request_latencies', 'request_latency')),
    /"run.googleapis.com\/request_latency", a metric that does not exist/,
  );
  assert.match(broken(template.replace('"metric.label.code"', '"metric.label.reason"')), /groups by metric.label.reason/);
  // Accepted webhooks read from the app's lines, as before they moved to the request log: a chart that stays empty.
  const fromLines = template.replace(/\$\{accepted_metric\}(.*?)",/, '${webhooks_metric}$1 AND metric.labels.outcome=\\"accepted\\"",');
  assert.notEqual(fromLines, template);
  assert.match(
    broken(fromLines),
    /outcome is never "accepted": logging.googleapis.com\/user\/hookpipe\/webhooks's filter leaves those out/,
  );
  assert.match(broken(template.replace('"xPos": 24', '"xPos": 12')), /overlaps another/);
  const moved = clone();
  (moved.locals.dashboard_vars as Record<string, string>).dead_letter_alert_age_seconds = '${local.dead_letter_retention_seconds}';
  assert.match(broken(template, moved), /chart "Oldest dead letter \(s\)": threshold 604800 is no alert's/);
  assert.throws(
    () => broken(template.replace('${ingress_service}', '${ingress}')),
    /uses \$\{ingress\}, which local.dashboard_vars does not give/,
  );
});
