/** Scrapes a runtime's `GET /metrics` and reads families and samples out of the parsed text. */
import parsePrometheusTextFormat, { type ParsedFamily, type ParsedSample } from 'parse-prometheus-text-format';
import { prometheusName, type MetricName } from '../../lambdas/metrics.js';

export interface Scrape {
  readonly families: readonly ParsedFamily[];
  /** The family of a declared metric; throws naming it when absent. */
  family(name: MetricName | string): ParsedFamily;
  /** The sample whose labels include `labels`, or undefined. */
  sample(name: MetricName | string, labels?: Record<string, string>): ParsedSample | undefined;
  /** A counter's or gauge's value (0 when the series is absent: prom-client omits series never touched). */
  value(name: MetricName | string, labels?: Record<string, string>): number;
}

const familyName = (name: string) => (/^[A-Z]/.test(name) ? prometheusName(name as MetricName) : name);

export async function scrape(url: string, headers: Record<string, string> = {}): Promise<Scrape> {
  const res = await fetch(`${url}/metrics`, { headers });
  if (res.status !== 200) throw Object.assign(new Error(`GET /metrics answered ${res.status}: ${await res.text()}`), { status: res.status });
  const families = parseText(await res.text());
  const family = (name: string) => {
    const found = families.find((f) => f.name === familyName(name));
    if (!found) throw new Error(`no family ${familyName(name)} in /metrics; got ${families.map((f) => f.name).join(', ')}`);
    return found;
  };
  const sample = (name: string, labels: Record<string, string> = {}) =>
    family(name).metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
  return {
    families,
    family,
    sample,
    value: (name, labels) => Number(sample(name, labels)?.value ?? 0),
  };
}

/**
 * The parser, with one repair: it folds every series of a histogram into one sample (its `flattenMetrics` keeps
 * only the `le` label), so labelled histograms are read again as untyped `_bucket`/`_sum`/`_count` series and
 * regrouped by their labels.
 */
export function parseText(text: string): ParsedFamily[] {
  const families = parsePrometheusTextFormat(text);
  const untyped = parsePrometheusTextFormat(text.replace(/^(# TYPE \S+) histogram$/gm, '$1 untyped'));
  // Untyped, each run of one series name is a family of its own: a histogram's `_bucket` comes back once per label set.
  const series = (name: string) => untyped.filter((f) => f.name === name).flatMap((f) => f.metrics);
  return families.map((family) => {
    if (family.type !== 'HISTOGRAM') return family;
    const samples = new Map<string, { labels: Record<string, string>; buckets: Record<string, string>; count?: string; sum?: string }>();
    const of = (labels: Record<string, string> = {}) => {
      const key = JSON.stringify(Object.entries(labels).sort());
      return samples.get(key) ?? samples.set(key, { labels, buckets: {} }).get(key)!;
    };
    for (const m of series(`${family.name}_bucket`)) {
      const { le, ...labels } = m.labels ?? {};
      of(labels).buckets[le!] = m.value!;
    }
    for (const m of series(`${family.name}_sum`)) of(m.labels).sum = m.value!;
    for (const m of series(`${family.name}_count`)) of(m.labels).count = m.value!;
    return { ...family, metrics: [...samples.values()] };
  });
}
