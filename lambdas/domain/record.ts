/**
 * The instance as the API shows it, derived from the API's own schema (`instanceRecord`): its own module, so the
 * functions that never answer with a record (the prober) do not carry the schemas.
 */
import { instanceRecord, type InstanceRecord } from '@service-registry/contracts';
import { type Instance, TIMES } from './instance.js';

/**
 * The record's fields in the order the schema declares them (the order answers show them in), each with the
 * instance field it is shown from and whether it is a time (shown as ISO 8601 from its `<name>Ms` field). Worked out
 * once per process: a discovery page converts every record of the page, more than once (its size, its answer).
 */
const FIELDS = (Object.keys(instanceRecord.shape) as Array<keyof InstanceRecord>).map((field) => {
  const time = field in TIMES;
  return { field, source: (time ? TIMES[field as keyof typeof TIMES] : field) as keyof Instance, time };
});

/**
 * The instance as the API shows it: the record's fields only (never the owner or probe state), times as ISO 8601.
 *
 * @example
 * toRecord(instance).registeredAt; // => '2026-11-24T12:00:00.000Z'
 */
export function toRecord(instance: Instance): InstanceRecord {
  const record: Record<string, unknown> = {};
  for (const { field, source, time } of FIELDS) {
    const value = instance[source];
    if (value === undefined) continue;
    // Times as ISO 8601; arrays and maps copied, so an answer never shares one with the instance it shows.
    record[field] = time ? isoOf(value as number) : Array.isArray(value) ? [...value] : typeof value === 'object' && value !== null ? { ...value } : value;
  }
  return record as InstanceRecord;
}

/** ISO strings of recent times: a fleet's records repeat their times from one discovery to the next. */
const isoStrings = new Map<number, string>();
/** Bound of {@link isoStrings}: past it the cache starts afresh (a few hundred KB at most). */
const ISO_CACHE_SIZE = 10_000;

/** `new Date(ms).toISOString()`, remembered (its cost is most of a record's conversion). */
function isoOf(ms: number): string {
  let iso = isoStrings.get(ms);
  if (iso === undefined) {
    if (isoStrings.size >= ISO_CACHE_SIZE) isoStrings.clear();
    iso = new Date(ms).toISOString();
    isoStrings.set(ms, iso);
  }
  return iso;
}
