/**
 * Query strings as SigV4 canonicalises them, so the bytes on the wire are the bytes that were signed. SigV4 encodes
 * every name and value per RFC 3986 (only `A-Z a-z 0-9 - _ . ~` stay as they are; a space is `%20`, never `+`) and
 * sorts the pairs by name, then value: "Percent-encode reserved characters, including the space character. Encode
 * names and values separately … sort the encoded query string parameters by key name"
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html#create-canonical-request).
 * `URLSearchParams` is form encoding instead (space → `+`, `*` kept, `~` → `%7E`): API Gateway reads a `+` as a
 * literal plus, canonicalises it as `%2B`, and the signature no longer matches (403).
 */

/** One query parameter; repeat the name for repeated parameters (`tag=a&tag=b`). */
export type QueryPair = readonly [name: string, value: string];

/**
 * RFC 3986 percent-encoding of one name or value (`encodeURIComponent` leaves `! ' ( ) *`, which SigV4 encodes).
 *
 * @example
 * uriEncode('eu west*1'); // => 'eu%20west%2A1'
 */
export function uriEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * The SigV4 canonical query string of `pairs`: each name and value {@link uriEncode}d, sorted by encoded name, then
 * by encoded value, joined with `&`. Sending exactly this string keeps what is sent and what is signed identical.
 * The registry reads `tag` as a set, so sorting never changes a request's meaning.
 *
 * @example
 * canonicalQuery([['zone', 'eu west'], ['tag', 'b'], ['tag', 'a']]); // => 'tag=a&tag=b&zone=eu%20west'
 */
export function canonicalQuery(pairs: readonly QueryPair[]): string {
  return pairs
    .map(([name, value]) => `${uriEncode(name)}=${uriEncode(value)}`)
    .sort((a, b) => {
      // Compare the encoded name first: `a-b=…` must sort after `a=…` as SigV4 sorts keys, not whole pairs.
      const [an, bn] = [a.slice(0, a.indexOf('=')), b.slice(0, b.indexOf('='))];
      if (an !== bn) return an < bn ? -1 : 1;
      return a < b ? -1 : a > b ? 1 : 0;
    })
    .join('&');
}

/** The pairs grouped by name, as `@smithy/signature-v4` takes a query (repeated names become arrays). */
export function queryMap(pairs: readonly QueryPair[]): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of pairs) {
    const held = out[name];
    out[name] = held === undefined ? value : Array.isArray(held) ? [...held, value] : [held, value];
  }
  return out;
}
