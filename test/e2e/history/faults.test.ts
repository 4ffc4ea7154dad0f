/**
 * The history writer is the stream's second consumer: when it fails, registry writes and event publishing go on,
 * and the failed records are retried until their entries are written, once each.
 */
import { jest } from '@jest/globals';
import type { DynamoDBBatchResponse } from 'aws-lambda';
import type { LocalRuntime } from '../../../local/runtime.js';
import { apiClient, sleep, startTestRuntime, subscribe } from '../../support.js';

let runtime: LocalRuntime;
/** The fault the wrapped writer injects: throw (a function error), report the first record failed after writing, or none. */
let fault: 'throw' | 'report-after-write' | undefined;
let invocations = 0;
/** The runtime reports each failed history batch in one line (as the function's log would in AWS). */
const reported: string[] = [];
let errorSpy: jest.SpiedFunction<typeof console.error>;

beforeAll(async () => {
  errorSpy = jest.spyOn(console, 'error').mockImplementation((line: unknown) => void reported.push(String(line)));
  runtime = await startTestRuntime({
    history: true,
    prober: false,
    streamRetryBaseMs: 10,
    historyHandler: (writer) => async (event, context) => {
      invocations++;
      if (fault === 'throw') throw new Error('injected: history table unavailable');
      const result = (await writer(event, context)) as DynamoDBBatchResponse;
      if (fault === 'report-after-write') {
        fault = undefined; // once: the retry succeeds
        return { batchItemFailures: [{ itemIdentifier: event.Records[0]!.dynamodb!.SequenceNumber! }] };
      }
      return result;
    },
  });
});
afterAll(async () => {
  await runtime.stop();
  errorSpy.mockRestore();
});

const api = () => apiClient(runtime.url);
const entries = async (instanceId: string) =>
  (await api().call('GET', `/v1/services/faulty/history?instanceId=${instanceId}`)).body.entries as Array<{ revision: number }>;

async function until(condition: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return;
    await sleep(50);
  }
  throw new Error(`condition not met within ${timeoutMs} ms`);
}

it('keeps accepting writes and publishing events while the history writer fails, then writes the history on retry', async () => {
  // Prepare: the writer fails every invocation
  fault = 'throw';
  const feed = await subscribe(runtime.url, 'service=faulty');
  try {
    // Act: changes while history is failing
    const registered = await api().register('faulty', 'f-1', { address: '10.0.0.1', port: 80 });
    expect(registered.status).toBe(201);
    const patched = await api().patch('faulty', 'f-1', { weight: 7 });
    expect(patched.status).toBe(200);
    // Assess: events are published meanwhile, and the writer was invoked (and failed)
    await feed.next((m) => m.data?.detail?.revision === patched.body.revision);
    await until(async () => invocations > 0, 5000);
    expect(await entries('f-1')).toEqual([]);
    await until(async () => reported.some((line) => line.includes('history stream poller: Error: injected')), 5000);
    // Act: the writer recovers
    fault = undefined;
    // Assess: the retried records' entries are written
    await until(async () => (await entries('f-1')).length === 2, 10_000);
    expect((await entries('f-1')).map((e) => e.revision)).toEqual([patched.body.revision, registered.body.revision]);
  } finally {
    feed.close();
  }
}, 20_000);

it('writes each entry once when a batch it already wrote is retried', async () => {
  // Prepare: the writer writes the batch, then reports it failed once
  fault = 'report-after-write';
  // Act
  const registered = await api().register('faulty', 'f-2', { address: '10.0.0.1', port: 80 });
  const patched = await api().patch('faulty', 'f-2', { weight: 3 });
  // Assess: the retry overwrote its own entries (keyed by revision)
  await until(async () => (await entries('f-2')).length >= 2 && fault === undefined, 10_000);
  await sleep(300); // let the retried batch land too
  expect((await entries('f-2')).map((e) => e.revision)).toEqual([patched.body.revision, registered.body.revision]);
}, 20_000);
