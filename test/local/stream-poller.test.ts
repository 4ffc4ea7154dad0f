/**
 * The stream stand-in behaves like the Lambda event source mapping where it matters: bounded retries and a maximum
 * record age, then the records go to the on-failure destination and reading goes on; bisect leaves a failing record
 * alone before it is discarded; and with a position file a restart resumes where handling stopped.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBRecord } from 'aws-lambda';
import { bootstrapTable } from '../../local/bootstrap-table.js';
import { LOCAL_AWS_ENV } from '../../local/dynamodb-local.js';
import { startStreamPoller, type DiscardInfo, type StreamHandler } from '../../local/stream-poller.js';
import { sleep } from '../support.js';

const endpoint = process.env.TEST_DYNAMODB_ENDPOINT!;
Object.assign(process.env, LOCAL_AWS_ENV, { AWS_ENDPOINT_URL_DYNAMODB: endpoint, AWS_ENDPOINT_URL_DYNAMODB_STREAMS: endpoint });
const client = new DynamoDBClient({});
const dirs: string[] = [];
/** A temporary directory for a poller's files, removed after the file's tests. */
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'poller-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  client.destroy();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

async function freshTable(): Promise<string> {
  const tableName = `poller-${randomUUID()}`;
  await bootstrapTable(client, tableName);
  return tableName;
}
const put = (tableName: string, id: string) =>
  client.send(new PutItemCommand({ TableName: tableName, Item: { pk: { S: 'SVC#s' }, sk: { S: `INST#${id}` }, lastWrite: { S: 'register' } } }));
const idOf = (record: DynamoDBRecord) => String(record.dynamodb?.Keys?.sk?.S).slice('INST#'.length);

/** A handler that records what it was given and reports `poison` as failed every time. */
function recorder() {
  const handled: string[] = [];
  const attempts: string[][] = [];
  const handler: StreamHandler = async (event) => {
    attempts.push(event.Records.map(idOf));
    const poisoned = event.Records.find((r) => idOf(r) === 'poison');
    const until = poisoned ? event.Records.indexOf(poisoned) : event.Records.length;
    handled.push(...event.Records.slice(0, until).map(idOf));
    return { batchItemFailures: poisoned ? [{ itemIdentifier: poisoned.dynamodb!.SequenceNumber! }] : [] };
  };
  return { handled, attempts, handler };
}

async function until(condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(20);
  }
}

describe('stream poller (event source mapping stand-in)', () => {
  it('retries a failing record 10 times, then hands it to the on-failure destination and goes on', async () => {
    const tableName = await freshTable();
    const dir = tempDir();
    const { handled, attempts, handler } = recorder();
    const discarded: DiscardInfo[] = [];
    const poller = await startStreamPoller({
      tableName,
      handler,
      fromStart: true,
      pollMs: 10,
      retryBaseMs: 1,
      failureFile: join(dir, 'failures.jsonl'),
      onDiscard: (d) => discarded.push(d),
    });
    try {
      for (const id of ['a', 'poison', 'b']) await put(tableName, id);
      await until(() => handled.includes('b'));
    } finally {
      await poller.stop();
    }
    expect(handled).toEqual(['a', 'b']);
    const withPoison = attempts.filter((ids) => ids.includes('poison'));
    expect(withPoison).toHaveLength(11); // the first attempt and 10 retries
    // Bisect: by the time it was discarded, the failing record was retried alone.
    expect(withPoison.at(-1)).toEqual(['poison']);
    expect(discarded).toEqual([expect.objectContaining({ reason: 'retries exhausted', records: 1 })]);
    const kept = readFileSync(join(dir, 'failures.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(kept).toHaveLength(1);
    expect(kept[0].Records[0].dynamodb.NewImage.sk).toEqual({ S: 'INST#poison' });
  });

  it('discards a failing record older than the maximum record age instead of retrying it', async () => {
    const tableName = await freshTable();
    const { handled, attempts, handler } = recorder();
    const discarded: DiscardInfo[] = [];
    // The clock is 7 hours ahead: every record is older than the 6 h maximum.
    const poller = await startStreamPoller({
      tableName,
      handler,
      fromStart: true,
      pollMs: 10,
      retryBaseMs: 1,
      now: () => Date.now() + 7 * 3600_000,
      onDiscard: (d) => discarded.push(d),
    });
    try {
      await put(tableName, 'poison');
      await put(tableName, 'c');
      await until(() => handled.includes('c'));
    } finally {
      await poller.stop();
    }
    expect(attempts.filter((ids) => ids.includes('poison'))).toHaveLength(1);
    expect(discarded).toEqual([expect.objectContaining({ reason: 'maximum record age' })]);
    expect(handled).toEqual(['c']);
  });

  it('resumes after the last handled record when restarted with its position file, losing nothing written meanwhile', async () => {
    const tableName = await freshTable();
    const positionFile = join(tempDir(), 'stream-positions.json');
    const first = recorder();
    let poller = await startStreamPoller({ tableName, handler: first.handler, fromStart: true, pollMs: 10, positionFile });
    await put(tableName, 'a');
    await put(tableName, 'b');
    await until(() => first.handled.includes('b'));
    await poller.stop();
    expect(existsSync(positionFile)).toBe(true);

    // Written while nothing reads the stream (the runtime is down).
    await put(tableName, 'c');
    await put(tableName, 'd');
    const second = recorder();
    // `fromStart: false`: the table already existed, as on a restart with a data dir.
    poller = await startStreamPoller({ tableName, handler: second.handler, pollMs: 10, positionFile });
    try {
      await until(() => second.handled.includes('d'));
      await put(tableName, 'e');
      await until(() => second.handled.includes('e'));
    } finally {
      await poller.stop();
    }
    expect(first.handled).toEqual(['a', 'b']);
    expect(second.handled).toEqual(['c', 'd', 'e']);
  });

  it('keeps reading a shard through GetRecords errors and a failing on-failure destination, losing nothing', async () => {
    const tableName = await freshTable();
    const dir = tempDir();
    // The destination cannot be written at first: a directory stands where the file goes.
    const failureFile = join(dir, 'failures.jsonl');
    mkdirSync(failureFile);
    const streams = new DynamoDBStreamsClient({});
    let failReads = 0;
    streams.middlewareStack.add((next, context) => async (args) => {
      if (context.commandName === 'GetRecordsCommand' && failReads > 0) {
        failReads--;
        throw Object.assign(new Error('injected: throttled'), { name: 'LimitExceededException' });
      }
      return next(args);
    });
    const errors: string[] = [];
    const { handled, handler } = recorder();
    const poller = await startStreamPoller({
      tableName,
      handler,
      fromStart: true,
      pollMs: 10,
      retryBaseMs: 1,
      maxRetryAttempts: 1,
      failureFile,
      streams,
      onError: (e) => errors.push(String((e as Error).name)),
    });
    try {
      failReads = 3;
      await put(tableName, 'a');
      await until(() => handled.includes('a'));
      expect(errors.filter((e) => e === 'LimitExceededException')).toHaveLength(3);
      await put(tableName, 'poison');
      await put(tableName, 'b');
      await until(() => errors.some((e) => e !== 'LimitExceededException')); // the discard failed, and is retried
      expect(handled).not.toContain('b');
      rmdirSync(failureFile);
      await until(() => handled.includes('b'));
      expect(readFileSync(failureFile, 'utf8')).toContain('INST#poison');
    } finally {
      await poller.stop();
      streams.destroy();
    }
  });
});
