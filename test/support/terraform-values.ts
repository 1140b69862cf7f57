// The values Terraform would compute for the simple expressions infra/monitoring.tf uses: references to locals,
// variables (their defaults, or the values a test gives) and logging metrics' names, and arithmetic on numbers.
// Anything else throws, so an expression this does not understand fails a test instead of passing as text.
import type { LogMetricSpec } from './logging-query.ts';
import type { Terraform } from './terraform.ts';

type Value = string | number | boolean | null | Value[] | { [key: string]: Value };

/** Evaluates every `${...}` in a parsed value; a string that is one whole interpolation keeps the type of its result. */
export function evaluate(tf: Terraform, value: unknown, vars: Record<string, Value> = {}): Value {
  if (Array.isArray(value)) return value.map((item) => evaluate(tf, item, vars));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, evaluate(tf, inner, vars)]));
  }
  if (typeof value !== 'string') return value as Value;
  const whole = /^\$\{([^{}]*)\}$/.exec(value);
  if (whole) return expression(tf, whole[1]!, vars);
  return value.replace(/\$\{([^{}]*)\}/g, (_, inner: string) => String(expression(tf, inner, vars)));
}

function reference(tf: Terraform, name: string, vars: Record<string, Value>): Value {
  const [kind, id, attribute, ...rest] = name.split('.');
  if (kind === 'local' && id && !attribute && id in tf.locals) return evaluate(tf, tf.locals[id], vars);
  if (kind === 'var' && id && !attribute) {
    if (id in vars) return vars[id]!;
    const variable = tf.variables[id];
    if (variable && 'default' in variable) return evaluate(tf, variable.default, vars);
    throw new Error(`var.${id} has no default: give it to evaluate()`);
  }
  if (kind === 'google_logging_metric' && id && attribute === 'name' && rest.length === 0) {
    const metric = tf.resources.google_logging_metric?.[id];
    if (metric) return evaluate(tf, metric.name, vars);
  }
  throw new Error(`a reference this evaluator does not know: ${name}`);
}

/** Numbers, references, + - * / and parentheses. */
function expression(tf: Terraform, text: string, vars: Record<string, Value>): Value {
  const tokens = text.match(/\d+(?:\.\d+)?|[A-Za-z_][A-Za-z0-9_.]*|[-+*/()]|\S/g) ?? [];
  let at = 0;
  const number = (value: Value): number => {
    if (typeof value !== 'number') throw new Error(`arithmetic on ${JSON.stringify(value)} in: ${text}`);
    return value;
  };
  function primary(): Value {
    const token = tokens[at++];
    if (token === undefined) throw new Error(`an incomplete expression: ${text}`);
    if (token === '(') {
      const inner = sum();
      if (tokens[at++] !== ')') throw new Error(`a missing ) in: ${text}`);
      return inner;
    }
    if (/^\d/.test(token)) return Number(token);
    if (/^[A-Za-z_]/.test(token)) return reference(tf, token, vars);
    throw new Error(`an expression this evaluator does not understand: ${text}`);
  }
  function product(): Value {
    let value = primary();
    while (tokens[at] === '*' || tokens[at] === '/') {
      const op = tokens[at++];
      const right = number(primary());
      value = op === '*' ? number(value) * right : number(value) / right;
    }
    return value;
  }
  function sum(): Value {
    let value = product();
    while (tokens[at] === '+' || tokens[at] === '-') {
      const op = tokens[at++];
      const right = number(product());
      value = op === '+' ? number(value) + right : number(value) - right;
    }
    return value;
  }
  const value = sum();
  if (at !== tokens.length) throw new Error(`an expression this evaluator does not understand: ${text}`);
  return value;
}

/** Every google_logging_metric in infra, as Terraform would send it, with `projectId` for var.project_id. */
export function logMetrics(tf: Terraform, projectId: string): Record<string, LogMetricSpec> {
  return Object.fromEntries(
    // depends_on names resources, which have no value here.
    Object.entries(tf.resources.google_logging_metric ?? {}).map(([id, { depends_on: _, ...block }]) => [
      id,
      evaluate(tf, block, { project_id: projectId }) as unknown as LogMetricSpec,
    ]),
  );
}
