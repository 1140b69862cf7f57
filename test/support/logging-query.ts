// Cloud Logging's side of the log-based metrics, evaluated here since it cannot run locally: the LogEntry Cloud
// Logging makes from one JSON line a Cloud Run service writes to stdout, the subset of the Logging query language
// that infra's filters use, and the label and value extractors of a google_logging_metric. Anything outside the
// subset throws, so a filter that grows past what this understands fails a test rather than passing unexamined.
//
// - Query language: https://cloud.google.com/logging/docs/view/logging-query-language. Comparisons `=`, `!=`, `:`
//   (has, a substring), `=~` and `!~` (a regular expression, RE2, matching anywhere unless anchored) and `<`, `<=`,
//   `>`, `>=` (numbers here) against a quoted or bare value; "String comparisons aren't case sensitive"; NOT binds
//   tightest, then OR, then AND ("a OR NOT b AND NOT c OR d" is "(a OR (NOT b)) AND ((NOT c) OR d)"); terms side by
//   side are joined by AND; parentheses group.
// - Extractors: EXTRACT(field) and REGEXP_EXTRACT(field, "regex") with exactly one capture group; a label whose
//   extraction fails takes its type's default ("" for a string), a value that fails is not recorded
//   (https://cloud.google.com/logging/docs/reference/v2/rest/v2/projects.metrics, LogMetric.labelExtractors and
//   valueExtractor; https://cloud.google.com/logging/docs/logs-based-metrics/labels).
// - Structured logging: a JSON line becomes jsonPayload, less the special fields Cloud Logging lifts into the entry
//   (severity, httpRequest, time, logging.googleapis.com/trace, ...); `message` stays in jsonPayload; a line that
//   is not a JSON object becomes textPayload (https://cloud.google.com/logging/docs/structured-logging).

export interface LogEntry {
  logName: string;
  resource: { type: string; labels: Record<string, string> };
  severity: string;
  timestamp?: string;
  trace?: string;
  spanId?: string;
  traceSampled?: boolean;
  insertId?: string;
  labels?: Record<string, string>;
  httpRequest?: Record<string, unknown>;
  operation?: Record<string, unknown>;
  sourceLocation?: Record<string, unknown>;
  jsonPayload?: Record<string, unknown>;
  textPayload?: string;
}

const SEVERITIES = ['DEFAULT', 'DEBUG', 'INFO', 'NOTICE', 'WARNING', 'ERROR', 'CRITICAL', 'ALERT', 'EMERGENCY'];

/** JSON keys Cloud Logging moves out of jsonPayload into the entry's own fields. */
const SPECIAL: Record<string, keyof LogEntry> = {
  severity: 'severity',
  httpRequest: 'httpRequest',
  time: 'timestamp',
  timestamp: 'timestamp',
  'logging.googleapis.com/trace': 'trace',
  'logging.googleapis.com/spanId': 'spanId',
  'logging.googleapis.com/trace_sampled': 'traceSampled',
  'logging.googleapis.com/insertId': 'insertId',
  'logging.googleapis.com/labels': 'labels',
  'logging.googleapis.com/operation': 'operation',
  'logging.googleapis.com/sourceLocation': 'sourceLocation',
};

export interface CloudRunOrigin {
  projectId: string;
  service: string;
  revision?: string;
  region?: string;
  /** stdout unless told. */
  stream?: 'stdout' | 'stderr';
}

/** The LogEntry Cloud Logging makes from one line a Cloud Run service wrote (https://cloud.google.com/run/docs/logging). */
export function cloudRunEntry(line: string, origin: CloudRunOrigin): LogEntry {
  const entry: LogEntry = {
    logName: `projects/${origin.projectId}/logs/run.googleapis.com%2F${origin.stream ?? 'stdout'}`,
    resource: {
      type: 'cloud_run_revision',
      labels: {
        project_id: origin.projectId,
        service_name: origin.service,
        revision_name: origin.revision ?? `${origin.service}-00001-abc`,
        configuration_name: origin.service,
        location: origin.region ?? 'europe-west1',
      },
    },
    severity: 'DEFAULT',
  };
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    parsed = undefined;
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return { ...entry, textPayload: line };
  const payload: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(parsed as Record<string, unknown>)) {
    const field = SPECIAL[key];
    if (!field) payload[key] = value;
    else if (field === 'severity') {
      const severity = String(value).toUpperCase();
      entry.severity = SEVERITIES.includes(severity) ? severity : 'DEFAULT';
    } else (entry as unknown as Record<string, unknown>)[field] = value;
  }
  return { ...entry, jsonPayload: payload };
}

// ---- the query language ----

export type Query =
  | { kind: 'and' | 'or'; terms: Query[] }
  | { kind: 'not'; term: Query }
  | { kind: 'compare'; field: string[]; op: Operator; value: string };

export type Operator = '=' | '!=' | ':' | '=~' | '!~' | '<' | '<=' | '>' | '>=';

type Token = { type: 'open' | 'close' | 'and' | 'or' | 'not' | 'op' | 'string' | 'word'; text: string };

function tokenize(query: string): Token[] {
  const tokens: Token[] = [];
  const pattern = /\s+|(\()|(\))|(=~|!~|!=|<=|>=|=|:|<|>)|"((?:[^"\\]|\\.)*)"|([A-Za-z0-9_@/%.-]+)/y;
  while (pattern.lastIndex < query.length) {
    const at = pattern.lastIndex;
    const match = pattern.exec(query);
    if (!match) throw new Error(`the query has what this evaluator does not understand at ${at}: ${query.slice(at, at + 30)}`);
    const [, open, close, op, quoted, word] = match;
    if (open) tokens.push({ type: 'open', text: open });
    else if (close) tokens.push({ type: 'close', text: close });
    else if (op) tokens.push({ type: 'op', text: op });
    else if (quoted !== undefined) tokens.push({ type: 'string', text: quoted.replace(/\\(.)/g, '$1') });
    else if (word === 'AND' || word === 'OR' || word === 'NOT') tokens.push({ type: word.toLowerCase() as 'and', text: word });
    else if (word) tokens.push({ type: 'word', text: word });
  }
  return tokens;
}

/** A field path as the language writes it: dot-separated names, a quoted segment for a key with dots in it. */
export function parseFieldPath(text: string): string[] {
  const segments: string[] = [];
  const pattern = /([A-Za-z_@][A-Za-z0-9_@]*)|"((?:[^"\\]|\\.)*)"/y;
  for (;;) {
    const match = pattern.exec(text);
    if (!match) throw new Error(`not a field path this evaluator understands: ${text}`);
    segments.push(match[1] ?? match[2]!.replace(/\\(.)/g, '$1'));
    if (pattern.lastIndex === text.length) return segments;
    if (text[pattern.lastIndex] !== '.') throw new Error(`not a field path this evaluator understands: ${text}`);
    pattern.lastIndex += 1;
  }
}

export function parseQuery(query: string): Query {
  const tokens = tokenize(query);
  let at = 0;
  const peek = () => tokens[at];
  const take = (type: Token['type']): Token => {
    const token = tokens[at];
    if (token?.type !== type) throw new Error(`expected ${type} at token ${at} of: ${query}`);
    at += 1;
    return token;
  };
  const startsTerm = (token: Token | undefined) => token !== undefined && ['open', 'not', 'word'].includes(token.type);

  function conjunction(): Query {
    const terms = [disjunction()];
    // AND, or terms side by side (the implicit AND).
    while (peek()?.type === 'and' || startsTerm(peek())) {
      if (peek()?.type === 'and') at += 1;
      terms.push(disjunction());
    }
    return terms.length === 1 ? terms[0]! : { kind: 'and', terms };
  }
  function disjunction(): Query {
    const terms = [negation()];
    while (peek()?.type === 'or') {
      at += 1;
      terms.push(negation());
    }
    return terms.length === 1 ? terms[0]! : { kind: 'or', terms };
  }
  function negation(): Query {
    if (peek()?.type === 'not') {
      at += 1;
      return { kind: 'not', term: negation() };
    }
    if (peek()?.type === 'open') {
      at += 1;
      const inner = conjunction();
      take('close');
      return inner;
    }
    const field = parseFieldPath(take('word').text);
    const op = take('op').text as Operator;
    const value = peek()?.type === 'string' ? take('string').text : take('word').text;
    return { kind: 'compare', field, op, value };
  }

  const parsed = conjunction();
  if (at !== tokens.length) throw new Error(`unexpected ${tokens[at]!.text} at token ${at} of: ${query}`);
  return parsed;
}

/** Every comparison in a query, wherever it sits. */
export function comparisons(query: Query): Array<Extract<Query, { kind: 'compare' }>> {
  if (query.kind === 'compare') return [query];
  if (query.kind === 'not') return comparisons(query.term);
  return query.terms.flatMap(comparisons);
}

export function fieldValue(entry: LogEntry, path: readonly string[]): unknown {
  return path.reduce<unknown>(
    (node, key) => (node && typeof node === 'object' && !Array.isArray(node) ? (node as Record<string, unknown>)[key] : undefined),
    entry,
  );
}

const scalar = (value: unknown): string | undefined =>
  typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? String(value) : undefined;

function has(value: unknown, needle: string): boolean {
  const text = scalar(value);
  if (text !== undefined) return text.toLowerCase().includes(needle.toLowerCase());
  // On a structured field, `:` tests its subfields.
  if (value && typeof value === 'object') return Object.values(value).some((inner) => has(inner, needle));
  return false;
}

/** `<`, `<=`, `>`, `>=` between numbers: a field that is missing or not a number matches none of them. */
function ordered(op: '<' | '<=' | '>' | '>=', value: unknown, operand: string): boolean {
  const left = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : Number.NaN;
  const right = Number(operand);
  if (!Number.isFinite(right)) throw new Error(`only numbers are compared with ${op} here, not ${JSON.stringify(operand)}`);
  if (!Number.isFinite(left)) return false;
  return op === '<' ? left < right : op === '<=' ? left <= right : op === '>' ? left > right : left >= right;
}

export function matches(query: Query, entry: LogEntry): boolean {
  switch (query.kind) {
    case 'and':
      return query.terms.every((term) => matches(term, entry));
    case 'or':
      return query.terms.some((term) => matches(term, entry));
    case 'not':
      return !matches(query.term, entry);
    case 'compare': {
      const value = fieldValue(entry, query.field);
      if (query.op === ':') return has(value, query.value);
      if (query.op === '=~' || query.op === '!~') {
        // RE2 and JavaScript agree on the simple patterns a filter needs; RE2-only syntax fails to compile here.
        const text = scalar(value);
        const found = text !== undefined && new RegExp(query.value).test(text);
        return query.op === '=~' ? found : !found;
      }
      if (query.op !== '=' && query.op !== '!=') return ordered(query.op, value, query.value);
      const equal = scalar(value)?.toLowerCase() === query.value.toLowerCase();
      return query.op === '=' ? equal : !equal;
    }
  }
}

/** A filter as a predicate over entries. */
export const matcher = (filter: string): ((entry: LogEntry) => boolean) => {
  const query = parseQuery(filter);
  return (entry) => matches(query, entry);
};

// ---- extractors and metrics ----

export interface Extractor {
  field: string[];
  regex?: RegExp;
}

export function parseExtractor(expression: string): Extractor {
  const match = /^\s*(EXTRACT|REGEXP_EXTRACT)\(\s*([^,\s)]+)\s*(?:,\s*"((?:[^"\\]|\\.)*)"\s*)?\)\s*$/.exec(expression);
  if (!match) throw new Error(`not an extractor this evaluator understands: ${expression}`);
  const [, fn, path, source] = match;
  if ((fn === 'REGEXP_EXTRACT') !== (source !== undefined)) throw new Error(`${fn} with the wrong arguments: ${expression}`);
  if (source === undefined) return { field: parseFieldPath(path!) };
  // RE2 and JavaScript agree on the simple patterns an extractor needs; RE2-only syntax fails to compile here.
  const regex = new RegExp(source);
  const groups = new RegExp(`${regex.source}|`).exec('')!.length - 1;
  if (groups !== 1) throw new Error(`REGEXP_EXTRACT needs exactly one capture group, not ${groups}: ${expression}`);
  return { field: parseFieldPath(path!), regex };
}

/** The extracted text, or undefined when the field is missing or the regex does not match. */
export function extract(extractor: Extractor, entry: LogEntry): string | undefined {
  const value = fieldValue(entry, extractor.field);
  const text = scalar(value) ?? (value && typeof value === 'object' ? JSON.stringify(value) : undefined);
  if (text === undefined || !extractor.regex) return text;
  return extractor.regex.exec(text)?.[1];
}

/** What infra's google_logging_metric blocks say, as the parser gives them (nested blocks as arrays). */
export interface LogMetricSpec {
  name: string;
  filter: string;
  label_extractors?: Record<string, string>;
  value_extractor?: string;
  metric_descriptor?: Array<{ value_type?: string; labels?: Array<{ key: string; value_type?: string }> }>;
  /** How a distribution's values are bucketed (not needed to count them). */
  bucket_options?: Array<{ exponential_buckets?: Array<Record<string, number>> }>;
}

export interface MetricSeries {
  labels: Record<string, string>;
  /** Entries counted (for a distribution, the values recorded). */
  count: number;
  values: number[];
}

const LABEL_DEFAULT: Record<string, string> = { STRING: '', INT64: '0', BOOL: 'false' };

/** A log-based metric over `entries`: one series per label set, as Cloud Monitoring would hold them (summed over time). */
export function applyLogMetric(metric: LogMetricSpec, entries: readonly LogEntry[]): MetricSeries[] {
  const selected = matcher(metric.filter);
  const descriptor = metric.metric_descriptor?.[0];
  const labelTypes = new Map((descriptor?.labels ?? []).map((label) => [label.key, label.value_type ?? 'STRING']));
  const extractors = Object.entries(metric.label_extractors ?? {}).map(([key, expression]) => ({
    key,
    extractor: parseExtractor(expression),
  }));
  const valueExtractor = metric.value_extractor ? parseExtractor(metric.value_extractor) : undefined;
  if ((descriptor?.value_type === 'DISTRIBUTION') !== (valueExtractor !== undefined)) {
    throw new Error(`${metric.name}: a distribution needs a value extractor, and only a distribution has one`);
  }
  const series = new Map<string, MetricSeries>();
  for (const entry of entries) {
    if (!selected(entry)) continue;
    let value: number | undefined;
    if (valueExtractor) {
      value = Number(extract(valueExtractor, entry) ?? Number.NaN);
      if (!Number.isFinite(value)) continue;
    }
    const labels: Record<string, string> = {};
    for (const { key, extractor } of extractors) {
      const type = labelTypes.get(key) ?? 'STRING';
      const text = extract(extractor, entry);
      const valid = text !== undefined && (type !== 'INT64' || /^-?\d+$/.test(text)) && (type !== 'BOOL' || /^(true|false)$/.test(text));
      labels[key] = valid ? text : LABEL_DEFAULT[type]!;
    }
    const key = JSON.stringify(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)));
    const found = series.get(key) ?? { labels, count: 0, values: [] };
    found.count += 1;
    if (value !== undefined) found.values.push(value);
    series.set(key, found);
  }
  return [...series.values()];
}
