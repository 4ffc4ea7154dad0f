/**
 * JSON Schemas of the change events, generated from the same zod schemas the publisher and the SDK use.
 * `npm run contracts` writes them to `contracts/events/`; the frozen `contracts/events/v1/` copy is the published
 * baseline that a test holds every later version to (no breaking change without a new major version).
 */
import * as z from 'zod';
import { DETAIL_TYPES, eventEnvelope, instanceEventDetail, protectionEventDetail, resyncEventDetail, type DetailType } from './events.js';

/** File name of a detail-type's schema: `Instance Registered` → `instance-registered.schema.json`. */
export function contractFile(detailType: DetailType): string {
  return `${detailType.toLowerCase().replace(/\s+/g, '-')}.schema.json`;
}

/** The JSON Schema of one detail-type: the shared {@link eventEnvelope} narrowed to it and its `detail` schema. */
export function eventSchema(detailType: DetailType, source = 'service-registry') {
  const detail =
    detailType === 'Registry Resync Required' ? resyncEventDetail : detailType.startsWith('Registry Protection') ? protectionEventDetail : instanceEventDetail;
  // `extend` keeps each overridden field where the envelope declares it: the properties and `required` keep the
  // order of the published files.
  const envelope = eventEnvelope.extend({
    'detail-type': z.literal(detailType),
    source: z.string().meta({ description: `Configurable; default "${source}"` }),
    detail,
  });
  return {
    $id: `urn:service-registry:events:${contractFile(detailType).replace('.schema.json', '')}`,
    title: detailType,
    ...z.toJSONSchema(envelope, { io: 'output', target: 'draft-2020-12', unrepresentable: 'any', reused: 'inline' }),
  };
}

/** Every contract, by file name. */
export function allContracts(): Record<string, object> {
  return Object.fromEntries(DETAIL_TYPES.map((type) => [contractFile(type), eventSchema(type)]));
}

// biome-ignore lint/suspicious/noExplicitAny: JSON Schema documents, walked by key.
type Schema = Record<string, any>;

/**
 * Breaking changes from `before` to `after`, for consumers of the events: a property removed, a required property
 * made optional, a type changed, an enum value or a constant changed. Additions are not breaking.
 *
 * @example
 * breakingChanges(v1Schema, currentSchema); // => [] when compatible
 */
export function breakingChanges(before: Schema, after: Schema): string[] {
  return compare(dereference(before, before) as Schema, dereference(after, after) as Schema, '$');
}

/** Inlines local `#/$defs/…` references (the contracts have no cycles). */
function dereference(schema: unknown, root: Schema): unknown {
  if (Array.isArray(schema)) return schema.map((item) => dereference(item, root));
  if (typeof schema !== 'object' || schema === null) return schema;
  const ref = (schema as Schema).$ref;
  if (typeof ref === 'string' && ref.startsWith('#/$defs/')) return dereference(root.$defs?.[ref.slice('#/$defs/'.length)], root);
  return Object.fromEntries(
    Object.entries(schema)
      .filter(([k]) => k !== '$defs')
      .map(([k, v]) => [k, dereference(v, root)]),
  );
}

function compare(before: Schema, after: Schema, path: string): string[] {
  const problems: string[] = [];
  const types = (s: Schema) => [s.type, ...(s.anyOf ?? []).map((x: Schema) => x.type)].flat().filter(Boolean).sort().join('|');
  if (types(before) !== types(after)) problems.push(`${path}: type ${types(before) || 'any'} became ${types(after) || 'any'}`);
  if (before.const !== undefined && before.const !== after.const)
    problems.push(`${path}: constant ${JSON.stringify(before.const)} became ${JSON.stringify(after.const)}`);
  for (const value of before.enum ?? []) if (!(after.enum ?? []).includes(value)) problems.push(`${path}: enum value ${JSON.stringify(value)} removed`);
  const objectOf = (s: Schema): Schema => (s.properties ? s : ((s.anyOf ?? []).find((x: Schema) => x.properties) ?? {}));
  const b = objectOf(before);
  const a = objectOf(after);
  for (const [name, sub] of Object.entries<Schema>(b.properties ?? {})) {
    if (!a.properties?.[name]) problems.push(`${path}.${name}: removed`);
    else problems.push(...compare(sub, a.properties[name], `${path}.${name}`));
  }
  for (const name of b.required ?? []) if (b.properties?.[name] && !(a.required ?? []).includes(name)) problems.push(`${path}.${name}: no longer required`);
  if (before.items && after.items) problems.push(...compare(before.items, after.items, `${path}[]`));
  return problems;
}
