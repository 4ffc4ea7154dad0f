/**
 * The instance as the API shows it, derived from the API's own schema (`instanceRecord`): its own module, so the
 * functions that never answer with a record (the prober) do not carry the schemas.
 */
import { instanceRecord, type InstanceRecord } from '@service-registry/contracts';
import { type Instance, TIMES } from './instance.js';

/** The API record's fields in the order the schema declares them (the order answers show them in). */
const RECORD_FIELDS = Object.keys(instanceRecord.shape) as Array<keyof InstanceRecord>;

/** The instance as the API shows it: the record's fields only (never the owner or probe state), times as ISO 8601. */
/**
 * @example
 * toRecord(instance).registeredAt; // => '2026-11-24T12:00:00.000Z'
 */
export function toRecord(instance: Instance): InstanceRecord {
  const record: Record<string, unknown> = {};
  for (const field of RECORD_FIELDS) {
    // Each field is copied from the instance, or for a time converted from its `<name>Ms` field.
    const value = field in TIMES ? isoOf(instance[TIMES[field as keyof typeof TIMES]]) : instance[field as Exclude<typeof field, keyof typeof TIMES>];
    if (value === undefined) continue;
    // Copies, so an answer never shares an array or map with the instance it shows.
    record[field] = Array.isArray(value) ? [...value] : typeof value === 'object' && value !== null ? { ...value } : value;
  }
  return record as InstanceRecord;
}

function isoOf(ms: number | undefined): string | undefined {
  return ms === undefined ? undefined : new Date(ms).toISOString();
}
