/**
 * `If-None-Match` against an ETag with the weak comparison RFC 9110 prescribes for it (the `W/` prefix is ignored).
 *
 * @example
 * etagMatches('W/"abc", "def"', 'W/"abc"'); // => true
 */
export function etagMatches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  const opaque = (tag: string) => tag.trim().replace(/^W\//, '');
  return ifNoneMatch.split(',').some((tag) => tag.trim() === '*' || opaque(tag) === opaque(etag));
}
