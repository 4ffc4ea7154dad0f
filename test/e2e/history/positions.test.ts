/**
 * With a data directory the history consumer keeps its own stream position beside the publisher's (its own file),
 * as its event source mapping keeps its own checkpoint in AWS.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiClient, eventually, sleep, startTestRuntime, subscribe } from '../../support.js';

const dataDirs: string[] = [];
afterAll(() => {
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
});

it('keeps its own stream position beside the data, apart from the publisher', async () => {
  // Prepare: a runtime on a data directory, sharing the run's DynamoDB Local
  const dataDir = mkdtempSync(join(tmpdir(), 'registry-history-data-'));
  dataDirs.push(dataDir);
  const runtime = await startTestRuntime({ prober: false, dataDir, history: true });
  try {
    // Act: one change, through to the history and to the bus (both consumers have read it before the stop)
    const client = apiClient(runtime.url);
    const feed = await subscribe(runtime.url, 'service=kept');
    try {
      expect((await client.register('kept', 'k-1', { address: '10.0.0.1', port: 80 })).status).toBe(201);
      await feed.next((m) => m.event === 'Instance Registered', 10_000);
    } finally {
      feed.close();
    }
    const deadline = Date.now() + 10_000;
    while (((await client.call('GET', '/v1/services/kept/history')).body.entries as unknown[]).length === 0 && Date.now() < deadline) await sleep(50);
    // The feed's event may have come by the fast path; the stream publisher has read the change once it has counted
    // it (the service counters are its writes).
    await eventually(
      () => client.services(),
      (r) => r.body.services?.some((s: { service: string; total: number }) => s.service === 'kept' && s.total === 1),
      10_000,
    );
  } finally {
    await runtime.stop();
  }
  // Assess: the history consumer saved a position of its own on the same stream when it stopped
  const positions = JSON.parse(readFileSync(join(dataDir, 'history-stream-positions.json'), 'utf8'));
  const publisher = JSON.parse(readFileSync(join(dataDir, 'stream-positions.json'), 'utf8'));
  expect(Object.values(positions.shards as Record<string, { sequence?: string }>).some((s) => typeof s.sequence === 'string')).toBe(true);
  expect(positions.streamArn).toBe(publisher.streamArn);
}, 30_000);
