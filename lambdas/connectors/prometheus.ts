/**
 * Prometheus HTTP service discovery (`http_sd_configs`): the registry's instances as Prometheus target groups.
 * Shared by the Lambda handler (`lambdas/handlers/sd-prometheus.ts`) and, through it, the local runtime.
 *
 * The wire format (https://prometheus.io/docs/prometheus/latest/http_sd/): a 200 with `Content-Type:
 * application/json` carrying a JSON array of `{"targets":["host:port"],"labels":{…}}`, `[]` when nothing matches, and
 * the full list on every refresh (Prometheus replaces what it holds with each answer; on an error it keeps the last
 * list). Label names must match `[a-zA-Z_][a-zA-Z0-9_]*` (Prometheus 2.x; Debian ships 2.42), values are UTF-8.
 *
 * This module is the pure mapping ({@link targetGroupOf} and the label rules) and the route's query and response
 * schemas. The route table imports it, and the CDK construct inlines the route table, so it imports nothing but
 * zod, the contracts, Node built-ins and types. Reading every page is `prometheus-targets.ts`.
 */
import { isIP } from 'node:net';
import * as z from 'zod';
import { discoveryQuery, serviceName } from '@service-registry/contracts';
import type { Instance } from '../domain/instance.js';

/** Prefix of every label this connector sets; Prometheus drops `__meta_*` labels after relabelling. */
export const LABEL_PREFIX = '__meta_registry_';

/** Instance metadata keys that set Prometheus' own target labels (a Kubernetes-annotation-like convention). */
export const METRICS_PATH_KEY = 'prometheus.io/path';
export const SCHEME_KEY = 'prometheus.io/scheme';

/** Most `service=` values one request may name (each costs at least one read). */
export const MAX_SERVICES_PER_REQUEST = 100;

/**
 * Query of `GET /v1/sd/prometheus`: Prometheus' wire vocabulary, not the client SDK's contract, so it lives here.
 * `zone`, `tag` and `status` mean what they mean in discovery (the same schemas); `service` is repeatable.
 * Unknown keys are a 400 naming them.
 */
export const prometheusSdQuery = z.strictObject({
  service: z
    .array(serviceName)
    .max(MAX_SERVICES_PER_REQUEST)
    .default([])
    .meta({ description: 'Only these services (repeatable: `service=a&service=b`); none means every service the caller may read' }),
  zone: discoveryQuery.shape.zone.meta({ description: 'Only instances in this zone' }),
  tag: discoveryQuery.shape.tag.meta({ description: 'Only instances carrying every one of these tags (repeatable)' }),
  status: discoveryQuery.shape.status.meta({
    description: '`healthy` (UP and not critical), `all` live instances, or `healthy_or_else_all` (per service: all when none is healthy)',
  }),
});

export type PrometheusSdQuery = z.output<typeof prometheusSdQuery>;

/** A Prometheus label name (the 2.x rule; 3.x also accepts UTF-8 names, so these stay valid there). */
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** One target group: one instance, one target. */
export const targetGroup = z
  .object({
    targets: z
      .array(z.string())
      .length(1)
      .meta({ description: '`host:port` of the instance; an IPv6 address in brackets', example: ['10.0.3.17:8080'] }),
    labels: z.record(z.string().regex(LABEL_NAME), z.string()).meta({
      description: 'Discovered labels: `__meta_registry_*`, and `__metrics_path__`/`__scheme__` when the instance metadata sets them',
      example: { __meta_registry_service: 'orders', __meta_registry_instance_id: 'orders-1', __meta_registry_tags: ',v2,' },
    }),
  })
  .meta({ id: 'PrometheusTargetGroup' });

/** The whole answer: every matching instance, `[]` when none. */
export const targetGroups = z.array(targetGroup).meta({ id: 'PrometheusTargetGroups', description: 'Prometheus HTTP SD target groups' });

export type TargetGroup = z.output<typeof targetGroup>;

/**
 * `host:port` as Prometheus parses it (Go's `net.SplitHostPort`): an IPv6 literal goes in brackets.
 *
 * @example
 * targetOf('10.0.0.1', 80); // => '10.0.0.1:80'
 * targetOf('2001:db8::1', 80); // => '[2001:db8::1]:80'
 */
export function targetOf(address: string, port: number): string {
  return isIP(address) === 6 ? `[${address}]:${port}` : `${address}:${port}`;
}

/**
 * A metadata key as a label-name suffix: every character outside `[a-zA-Z0-9_]` becomes `_`, as Prometheus' own
 * discoveries sanitise Consul metadata and Kubernetes labels (`strutil.SanitizeLabelName`). The prefix makes a
 * leading digit valid.
 *
 * @example
 * sanitiseLabelSuffix('prometheus.io/path'); // => 'prometheus_io_path'
 */
export function sanitiseLabelSuffix(key: string): string {
  // Per UTF-16 code unit, so a character outside the BMP becomes `__`: predictable, and only ever ASCII out.
  return key.replace(/[^a-zA-Z0-9_]/g, '_');
}

/**
 * `__meta_registry_metadata_<key>` labels. Keys that sanitise to the same name collide; the key that sorts first
 * (JavaScript string order, i.e. UTF-16 code units) keeps the label and the others are left out, so the answer is
 * the same whatever order the metadata was stored in.
 *
 * @example
 * metadataLabels({ 'a.b': '1', 'a-b': '2' }); // => { __meta_registry_metadata_a_b: '2' } ('a-b' sorts before 'a.b')
 */
export function metadataLabels(metadata: Readonly<Record<string, string>>): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const key of Object.keys(metadata).sort()) {
    const name = `${LABEL_PREFIX}metadata_${sanitiseLabelSuffix(key)}`;
    if (!(name in labels)) labels[name] = metadata[key]!;
  }
  return labels;
}

/**
 * Tags joined Consul's way (`__meta_consul_tags`): the separator on both ends, so a relabel regex `.*,v2,.*` matches a
 * tag wherever it sits; no tags is `,,`, as Consul's discovery gives.
 */
export function tagsLabel(tags: readonly string[]): string {
  return `,${tags.join(',')},`;
}

/**
 * A metrics path Prometheus can use as is: it starts with `/` and holds only visible ASCII other than `?` and `#`
 * (Prometheus puts it in the URL's path, escaping a `?`; query parameters go in `__param_<name>` labels instead).
 */
const METRICS_PATH = /^\/[\x21-\x22\x24-\x3e\x40-\x7e]*$/;

/**
 * The target group of one instance. Labels: `__meta_registry_service`, `_instance_id`, `_zone` (absent without a
 * zone: Prometheus treats an empty label as absent anyway), `_tags`, `_metadata_<key>`, `_health`, `_status`, and
 * `_lease_expired: "true"` for an instance the lease guard keeps (see `keptByLeaseGuard`). Metadata
 * `prometheus.io/path` (a path starting with `/`) sets `__metrics_path__` and `prometheus.io/scheme` (`http` or
 * `https`) sets `__scheme__`; other values are left out of those two (still visible as metadata labels).
 *
 * @example
 * targetGroupOf(instance);
 * // => { targets: ['10.0.3.17:8080'], labels: { __meta_registry_service: 'orders', __meta_registry_instance_id: 'orders-1', … } }
 */
export function targetGroupOf(instance: Instance): TargetGroup {
  const path = instance.metadata[METRICS_PATH_KEY];
  const scheme = instance.metadata[SCHEME_KEY];
  return {
    targets: [targetOf(instance.address, instance.port)],
    labels: {
      ...metadataLabels(instance.metadata),
      [`${LABEL_PREFIX}service`]: instance.service,
      [`${LABEL_PREFIX}instance_id`]: instance.instanceId,
      ...(instance.zone !== undefined && { [`${LABEL_PREFIX}zone`]: instance.zone }),
      [`${LABEL_PREFIX}tags`]: tagsLabel(instance.tags),
      [`${LABEL_PREFIX}health`]: instance.health,
      [`${LABEL_PREFIX}status`]: instance.status,
      ...(instance.leaseExpired && { [`${LABEL_PREFIX}lease_expired`]: 'true' }),
      ...(path !== undefined && METRICS_PATH.test(path) && { __metrics_path__: path }),
      ...((scheme === 'http' || scheme === 'https') && { __scheme__: scheme }),
    },
  };
}

/**
 * A Lambda response is at most 6 MB (6,291,556 bytes) for a synchronous invocation
 * (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html); beyond it the invocation fails and API
 * Gateway answers 5xx. `local/api-gateway.ts` enforces the same cap locally.
 */
export const LAMBDA_RESPONSE_MAX_BYTES = 6_291_556;

/** Room left for the response envelope (`statusCode`, headers) around the body. */
const ENVELOPE_BYTES = 16 * 1024;

/**
 * Most bytes the target groups may take in the Lambda response (see {@link groupBytes}). Above this the answer is a
 * 400 asking to narrow the query, never a silently shortened list: Prometheus replaces its whole target list with each
 * answer, so a partial list would stop scraping the instances left out.
 */
export const MAX_ANSWER_BYTES = LAMBDA_RESPONSE_MAX_BYTES - ENVELOPE_BYTES;

/**
 * Bytes a group takes in the Lambda response: its JSON, escaped once more because the body travels as a JSON string
 * inside the response envelope (one more byte per `"` and `\`), plus the comma between groups.
 */
export function groupBytes(group: TargetGroup): number {
  const text = JSON.stringify(group);
  let escapes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 || c === 0x5c) escapes++;
  }
  return Buffer.byteLength(text) + escapes + 1;
}
