/**
 * Discovery pages stay under Lambda's 6 MB response cap however large the records are: a page ends at `limit`
 * records or at a byte budget, and the cursor goes on. Through the local runtime, whose API Gateway stand-in
 * answers 502 for a function response over the cap, as AWS does.
 */
import { LAMBDA_RESPONSE_MAX_BYTES } from '../../../local/api-gateway.js';
import type { LocalRuntime } from '../../../local/runtime.js';
import { apiClient, startTestRuntime } from '../../support.js';

let runtime: LocalRuntime;
let api: ReturnType<typeof apiClient>;

beforeAll(async () => {
  runtime = await startTestRuntime({ prober: false });
  api = apiClient(runtime.url);
});
afterAll(async () => {
  await runtime.stop();
});

/**
 * The largest record a registration allows, made of characters JSON escapes twice on the way out (once in the
 * body, once more inside Lambda's response envelope): 4 KB of metadata and 32 tags of 128 characters, all `"`.
 */
const heavy = (n: number) => ({
  address: '10.0.0.1',
  port: 1000 + n,
  tags: Array.from({ length: 32 }, (_, i) => `${String(i).padStart(2, '0')}${'"'.repeat(126)}`),
  metadata: Object.fromEntries(['a', 'b', 'c', 'd'].map((k) => [k, '"'.repeat(507)])),
});
const COUNT = 300;
const ids = Array.from({ length: COUNT }, (_, i) => `h-${String(i).padStart(4, '0')}`);

describe('discovery of large records', () => {
  beforeAll(async () => {
    for (let i = 0; i < COUNT; i += 25) {
      const replies = await Promise.all(ids.slice(i, i + 25).map((id, j) => api.register('heavy', id, heavy(i + j))));
      expect(replies.map((r) => r.status)).toEqual(replies.map(() => 201));
    }
  }, 60_000);

  it('cuts pages by bytes under the 6 MB Lambda response cap, and the cursor lists every instance exactly once', async () => {
    const seen: string[] = [];
    const pages: Array<{ count: number; envelope: number }> = [];
    let cursor: string | undefined;
    do {
      const res = await fetch(`${runtime.url}/v1/services/heavy/instances?limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      const text = await res.text();
      expect(res.status).toBe(200);
      const page = JSON.parse(text) as { instances: Array<{ instanceId: string; tags: string[] }>; cursor?: string };
      expect(page.instances[0]!.tags).toHaveLength(32); // records are served whole, never trimmed
      // What Lambda would have to return: the body as a JSON string inside the response envelope.
      const envelope = Buffer.byteLength(JSON.stringify({ statusCode: 200, headers: Object.fromEntries(res.headers), body: text }));
      pages.push({ count: page.instances.length, envelope });
      seen.push(...page.instances.map((i) => i.instanceId));
      cursor = page.cursor;
    } while (cursor);
    expect(seen).toEqual(ids);
    expect(pages.length).toBeGreaterThan(1); // 300 records fit `limit=1000` but not the byte budget
    for (const page of pages) expect(page.envelope).toBeLessThan(LAMBDA_RESPONSE_MAX_BYTES - 1024 * 1024); // well under
    // The whole list in one response would not have fitted: the byte cap is what kept discovery working.
    expect(pages.reduce((sum, p) => sum + p.envelope, 0)).toBeGreaterThan(LAMBDA_RESPONSE_MAX_BYTES);
  });

  it('ends a page at limit when that comes before the byte budget', async () => {
    const res = await api.discover('heavy', 'limit=40');
    expect(res.body.instances).toHaveLength(40);
    expect(res.body.cursor).toBeDefined();
  });
});
