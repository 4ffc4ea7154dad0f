/**
 * The publisher's counting, run on demand in tests that drive the prober and the registry in process: reads the
 * table's whole stream in DynamoDB Local (every shard from its start), keeps what the CDK mapping's filter passes,
 * and counts it as the publisher does. Reading from the start every time is safe because counting is idempotent
 * (the service's high-water mark skips what was counted): the tests thereby exercise replays too.
 */
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeStreamCommand, DynamoDBStreamsClient, GetRecordsCommand, GetShardIteratorCommand } from '@aws-sdk/client-dynamodb-streams';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDbInstanceStore } from '../../../lambdas/adapters/dynamodb-store.js';
import { toStoredChange } from '../../../lambdas/adapters/stream-record.js';
import { countFromStream } from '../../../lambdas/domain/stream-counters.js';
import { streamFilterPatterns } from '../../../lambdas/stream-filter.js';
import { passesFilters } from '../../../local/event-pattern.js';
import { toLambdaRecord } from '../../../local/stream-poller.js';

/**
 * A counter catch-up for one table, on its own clients (so a test's count of its own writes leaves these out).
 *
 * @example
 * const catchUp = streamCounting(tableName);
 * await catchUp(); // the counters now include every write made so far
 */
export function streamCounting(tableName: string): () => Promise<void> {
  const config = {
    endpoint: process.env.TEST_DYNAMODB_ENDPOINT,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  };
  const dynamodb = new DynamoDBClient(config);
  const streams = new DynamoDBStreamsClient(config);
  const counters = new DynamoDbInstanceStore(DynamoDBDocumentClient.from(dynamodb), tableName);
  return async () => {
    const table = await dynamodb.send(new DescribeTableCommand({ TableName: tableName }));
    const StreamArn = table.Table!.LatestStreamArn!;
    const shards = (await streams.send(new DescribeStreamCommand({ StreamArn }))).StreamDescription?.Shards ?? [];
    for (const shard of shards) {
      let iterator = (await streams.send(new GetShardIteratorCommand({ StreamArn, ShardId: shard.ShardId!, ShardIteratorType: 'TRIM_HORIZON' }))).ShardIterator;
      while (iterator) {
        const out = await streams.send(new GetRecordsCommand({ ShardIterator: iterator }));
        const records = (out.Records ?? []).map(toLambdaRecord).filter((record) => passesFilters(streamFilterPatterns, record));
        const { failedRecordId } = await countFromStream(
          records.map((record) => ({ id: record.dynamodb!.SequenceNumber!, change: toStoredChange(record) })),
          counters,
        );
        if (failedRecordId !== undefined) throw new Error(`counting failed at ${failedRecordId}`);
        // An open shard answers an empty page at its tip (with a next iterator): stop there.
        if ((out.Records ?? []).length === 0) break;
        iterator = out.NextShardIterator;
      }
    }
  };
}
