/*
 * Just enough PromQL reading to know which metrics a Grafana dashboard queries,
 * so a test can check them against what /metrics exports.
 */

const KEYWORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'and',
  'or',
  'unless',
  'inf',
  'nan',
]);

/** The metric names one PromQL expression reads (functions, labels, keywords left out). */
export function metricNamesIn(expr: string): string[] {
  const stripped = expr
    // String literals (label values, regexes), then label matchers and grouping labels.
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/gi, ' ')
    // Range and subquery selectors ([5m], [$__rate_interval], [1h:5m]), Grafana variables.
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\boffset\s+-?[\w${}]+/gi, ' ')
    .replace(/@\s*[\w.()]+/g, ' ')
    .replace(/\$\{?\w+\}?/g, ' ');
  const names = new Set<string>();
  for (const match of stripped.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const name = match[0];
    const after = stripped.slice(match.index + name.length);
    if (/^\s*\(/.test(after)) continue; // a function or aggregation: rate(, sum(, ...
    if (KEYWORDS.has(name.toLowerCase())) continue;
    if (/^\d/.test(name)) continue;
    names.add(name);
  }
  return [...names];
}

interface Panel {
  targets?: { expr?: string }[];
  panels?: Panel[];
}

/** Every PromQL expression of a Grafana dashboard's panels (rows' panels included). */
export function dashboardExpressions(dashboard: { panels?: Panel[] }): string[] {
  const exprs: string[] = [];
  const visit = (panels: Panel[] = []) => {
    for (const panel of panels) {
      for (const target of panel.targets ?? []) if (target.expr) exprs.push(target.expr);
      visit(panel.panels);
    }
  };
  visit(dashboard.panels);
  return exprs;
}

/**
 * The series names a Prometheus text exposition has samples of (a `# TYPE` line
 * alone is a metric Prometheus stores nothing for until its first observation).
 */
export function exportedMetricNames(exposition: string): Set<string> {
  const names = new Set<string>();
  for (const match of exposition.matchAll(/^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]/gm)) names.add(match[1]);
  return names;
}

/** The names a dashboard queries that the exposition does not offer, sorted. */
export function unknownMetricNames(dashboard: { panels?: Panel[] }, exposition: string): string[] {
  const exported = exportedMetricNames(exposition);
  const queried = new Set(dashboardExpressions(dashboard).flatMap(metricNamesIn));
  return [...queried].filter((name) => !exported.has(name)).sort();
}
