/**
 * The DNS view's zone in Route 53 (the port `DnsZone` of lambdas/connectors/dns.ts).
 *
 * Route 53 allows five API requests per second per account
 * (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/DNSLimitations.html#limits-api-requests): requests are
 * spaced at least 200 ms apart within an invocation, and `Throttling` or `PriorRequestNotComplete` is retried with
 * exponential backoff and jitter, at most {@link MAX_ATTEMPTS} attempts. The SDK's own retries are off
 * (`maxAttempts: 1`), so this loop is the only one and what the tests exercise is what runs.
 */
import {
  ChangeResourceRecordSetsCommand,
  ListResourceRecordSetsCommand,
  type Route53Client,
  type Change,
  type ListResourceRecordSetsCommandInput,
  type ResourceRecordSet,
} from '@aws-sdk/client-route-53';
import { fromText, isOwnedName, srvName, valueTexts, type DnsZone, type RecordChange, type RecordSet } from '../connectors/dns.js';

/** Most attempts of one Route 53 request (the first included) before the invocation fails and SQS retries the batch. */
export const MAX_ATTEMPTS = 6;

/**
 * Limits of one ChangeResourceRecordSets request (Route 53 quotas, "Quotas on API requests"): 1,000 ResourceRecord
 * elements and 32,000 characters of values, an UPSERT counting twice; and, as older API references state, 100
 * changes — kept as a margin.
 */
const BATCH = { changes: 100, records: 1000, characters: 32_000 } as const;

/**
 * The most one record set holds in the zone, so that its UPSERT (counted twice) always fits one request: at most 400
 * values and 15,000 characters. A service with more instances keeps the first of its sorted values in that set.
 */
export const ROUTE53_SET_LIMITS = { values: 400, characters: 15_000 } as const;

export interface Route53ZoneOptions {
  /** Least time between two requests of this zone adapter. @default 200 (five per second) */
  readonly minIntervalMs?: number;
  /** First retry delay, doubling per attempt up to 5 s, with jitter. @default 200 */
  readonly baseDelayMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

/** The DNS view's zone in Route 53: lists only the sets the view owns, applies changes in as few requests as allowed. */
export class Route53Zone implements DnsZone {
  private lastRequestAt = 0;
  private readonly minIntervalMs: number;
  private readonly baseDelayMs: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly client: Route53Client,
    private readonly hostedZoneId: string,
    private readonly domain: string,
    options: Route53ZoneOptions = {},
  ) {
    this.minIntervalMs = options.minIntervalMs ?? 200;
    this.baseDelayMs = options.baseDelayMs ?? 200;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /**
   * Route 53 lists record sets ordered by name with the labels reversed (`internal.registry.orders.…`), so every name
   * under `S.D` follows `S.D` itself: one listing from there until the first name outside; plus the one SRV set.
   */
  async listService(service: string): Promise<RecordSet[]> {
    const base = `${service}.${this.domain}`;
    const sets = await this.list({ StartRecordName: `${base}.` }, (name) => name === base || name.endsWith(`.${base}`));
    const srv = srvName(service, this.domain);
    const found = await this.list({ StartRecordName: `${srv}.`, StartRecordType: 'SRV', MaxItems: 1 }, (name) => name === srv, 1);
    return [...sets, ...found.filter((s) => s.type === 'SRV')];
  }

  async listAll(): Promise<RecordSet[]> {
    return this.list({}, () => true);
  }

  async apply(changes: readonly RecordChange[]): Promise<number> {
    const batches = batchChanges(changes);
    for (const batch of batches) {
      const command = new ChangeResourceRecordSetsCommand({
        HostedZoneId: this.hostedZoneId,
        ChangeBatch: { Comment: 'service registry DNS sync', Changes: batch.map(toRoute53Change) },
      });
      await this.send(() => this.client.send(command));
    }
    return batches.length;
  }

  /** Owned sets from `start` on, while `within` holds for their (normalised) names; at most `pages` pages. */
  private async list(
    start: Omit<ListResourceRecordSetsCommandInput, 'HostedZoneId'>,
    within: (name: string) => boolean,
    pages = Infinity,
  ): Promise<RecordSet[]> {
    const sets: RecordSet[] = [];
    let input: ListResourceRecordSetsCommandInput = { HostedZoneId: this.hostedZoneId, MaxItems: 300, ...start };
    for (let page = 0; page < pages; page++) {
      const command = new ListResourceRecordSetsCommand(input);
      const out = await this.send(() => this.client.send(command));
      for (const rrset of out.ResourceRecordSets ?? []) {
        const name = (rrset.Name ?? '').toLowerCase().replace(/\.$/, '');
        if (!within(name)) return sets;
        if (!isOwnedName(name, rrset.Type ?? '', this.domain) || rrset.AliasTarget || rrset.SetIdentifier) continue;
        const set = fromText(
          name,
          rrset.Type!,
          rrset.TTL ?? 0,
          (rrset.ResourceRecords ?? []).map((r) => r.Value ?? ''),
        );
        if (set) sets.push(set);
      }
      if (!out.IsTruncated) break;
      input = { ...input, StartRecordName: out.NextRecordName, StartRecordType: out.NextRecordType, StartRecordIdentifier: out.NextRecordIdentifier };
    }
    return sets;
  }

  /** One request: paced, retried on throttling with capped exponential backoff and full jitter. */
  private async send<T>(request: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const wait = this.lastRequestAt + this.minIntervalMs - Date.now();
      if (wait > 0) await this.sleep(wait);
      this.lastRequestAt = Date.now();
      try {
        return await request();
      } catch (error) {
        if (!isRetryable(error) || attempt >= MAX_ATTEMPTS) throw error;
        const cap = Math.min(5000, this.baseDelayMs * 2 ** (attempt - 1));
        await this.sleep(cap / 2 + Math.random() * (cap / 2));
      }
    }
  }
}

/** Route 53's answers that mean "not now": too many requests, or the previous change of the zone still being applied. */
function isRetryable(error: unknown): boolean {
  const name = (error as { name?: string }).name;
  return name === 'Throttling' || name === 'ThrottlingException' || name === 'PriorRequestNotComplete';
}

/** Splits changes into requests within Route 53's limits, DELETEs first so a batch never holds a name twice. */
export function batchChanges(changes: readonly RecordChange[]): RecordChange[][] {
  const batches: RecordChange[][] = [];
  let current: RecordChange[] = [];
  let records = 0;
  let characters = 0;
  for (const change of [...changes].sort((a, b) => (a.action === b.action ? 0 : a.action === 'DELETE' ? -1 : 1))) {
    const weight = change.action === 'UPSERT' ? 2 : 1;
    const texts = valueTexts(change.set);
    const r = texts.length * weight;
    const c = texts.reduce((n, t) => n + t.length, 0) * weight;
    if (current.length > 0 && (current.length + 1 > BATCH.changes || records + r > BATCH.records || characters + c > BATCH.characters)) {
      batches.push(current);
      current = [];
      records = 0;
      characters = 0;
    }
    current.push(change);
    records += r;
    characters += c;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

function toRoute53Change(change: RecordChange): Change {
  const set: ResourceRecordSet = {
    Name: `${change.set.name}.`,
    Type: change.set.type,
    TTL: change.set.ttl,
    ResourceRecords: valueTexts(change.set).map((Value) => ({ Value })),
  };
  return { Action: change.action, ResourceRecordSet: set };
}
