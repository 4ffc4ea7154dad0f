/**
 * Eureka's two wire formats at the edge: request bodies as JSON or XML, answers as JSON when `Accept` asks for it
 * and XML otherwise (Eureka's default, and what Prometheus' `eureka_sd_configs` reads: it sends no `Accept`).
 * Both carry the same object: JSON's `{"$":8080,"@enabled":"true"}` is XML's `<port enabled="true">8080</port>`,
 * JSON's `"@class"` is XML's `class` attribute, so one object model serves both (fast-xml-parser with `@` for
 * attributes and `$` for text).
 */
import { XMLBuilder, XMLParser, XMLValidator } from 'fast-xml-parser';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { ValidationError } from '../domain/errors.js';
import type { HttpResponse } from '../http/errors.js';
import { MAX_BODY_BYTES, readJsonBody } from '../http/json-body.js';

const XML_OPTIONS = { ignoreAttributes: false, attributeNamePrefix: '@', textNodeName: '$' } as const;

/**
 * Values stay strings (`parseTagValue: false`): metadata `"007"` must not become 7; the schema coerces ports and
 * lease seconds. Entities: only XML's five predefined ones are decoded; a body with a DOCTYPE is refused before
 * parsing, so no entity expansion or external entity ever happens.
 */
const parser = new XMLParser({ ...XML_OPTIONS, parseTagValue: false, parseAttributeValue: false, htmlEntities: false, processEntities: true });
const builder = new XMLBuilder({ ...XML_OPTIONS, suppressEmptyNode: false, suppressBooleanAttributes: false });

const bodyError = (message: string) => new ValidationError([{ field: 'body', message }]);

/**
 * Parses an XML document into the object model above, or a 400 naming `body`.
 *
 * @example
 * parseXml('<instance><port enabled="true">8080</port></instance>'); // => { instance: { port: { $: '8080', '@enabled': 'true' } } }
 */
export function parseXml(text: string): Record<string, unknown> {
  if (/<!DOCTYPE|<!ENTITY/i.test(text)) throw bodyError('XML with a DOCTYPE or entity declarations is not accepted');
  const valid = XMLValidator.validate(text);
  if (valid !== true) throw bodyError(`is not well-formed XML (line ${valid.err.line}: ${valid.err.msg})`);
  const parsed = parser.parse(text) as Record<string, unknown>;
  delete parsed['?xml'];
  return parsed;
}

/** XML 1.0 element names a metadata key can be written as (no namespaces): others are left out of XML answers. */
const XML_NAME = /^[A-Za-z_][A-Za-z0-9._-]*$/;

/**
 * Renders an answer as XML. Metadata keys that are not XML element names (`prometheus.io/path`, keys with spaces)
 * cannot be written as Eureka's `<metadata><key>value</key></metadata>`: they are left out of XML (JSON has them).
 */
export function toXml(document: object): string {
  return `<?xml version="1.0" encoding="UTF-8"?>${builder.build(xmlSafe(document))}`;
}

function xmlSafe(value: unknown, key?: string): unknown {
  if (Array.isArray(value)) return value.map((item) => xmlSafe(item));
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value as Record<string, unknown>);
  const kept = key === 'metadata' ? entries.filter(([k]) => XML_NAME.test(k)) : entries;
  return Object.fromEntries(kept.map(([k, v]) => [k, xmlSafe(v, k)]));
}

/**
 * True when the client asked for JSON: `Accept` names a JSON type ahead of any XML type. No `Accept`, `*\/*` or
 * XML → XML, as Eureka answers.
 */
export function wantsJson(accept: string | undefined): boolean {
  if (!accept) return false;
  const types = accept
    .toLowerCase()
    .split(',')
    .map((part) => part.split(';')[0]!.trim());
  const json = types.findIndex((t) => /^application\/(?:[\w.+-]+\+)?json$/.test(t));
  const xml = types.findIndex((t) => /^(?:application|text)\/(?:[\w.+-]+\+)?xml$/.test(t));
  return json !== -1 && (xml === -1 || json < xml);
}

/** An answer in the format the request asked for. */
export function eurekaResponse(event: Pick<APIGatewayProxyEventV2, 'headers'>, statusCode: number, document: object): HttpResponse {
  if (wantsJson(event.headers?.accept)) {
    return { statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(document) };
  }
  return { statusCode, headers: { 'content-type': 'application/xml' }, body: toXml(document) };
}

/** An empty answer (registration's 204, a heartbeat's or a status change's 200). */
export const emptyResponse = (statusCode: number): HttpResponse => ({ statusCode, headers: {}, body: '' });

/**
 * A registration body: JSON (`application/json`) or XML (`application/xml`, `text/xml`), at most 16 KB like every
 * registry body; without a `Content-Type` the first character decides. Anything else is a 400 naming `body`.
 * Through API Gateway an XML body arrives base64-encoded (`isBase64Encoded`), since it is not a JSON or text type.
 */
export function readEurekaBody(event: Pick<APIGatewayProxyEventV2, 'body' | 'isBase64Encoded' | 'headers'>): unknown {
  if (event.body === undefined || event.body === '') throw bodyError('an instance document (JSON or XML) is required');
  const raw = event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8');
  if (raw.length > MAX_BODY_BYTES) throw bodyError(`is ${raw.length} bytes; at most ${MAX_BODY_BYTES} are accepted`);
  const type = event.headers?.['content-type']?.toLowerCase();
  const text = raw.toString('utf8');
  const xml = type === undefined ? text.trimStart().startsWith('<') : /^(?:application|text)\/(?:[\w.+-]+\+)?xml\b/.test(type);
  if (xml) return parseXml(text);
  if (type !== undefined && !/^application\/(?:[\w.+-]+\+)?json\b/.test(type)) {
    throw bodyError(`content-type must be application/json or application/xml, got '${event.headers!['content-type']}'`);
  }
  return readJsonBody({ ...event, headers: { ...event.headers, 'content-type': 'application/json' } });
}
