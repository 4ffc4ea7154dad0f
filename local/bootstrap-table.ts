/**
 * Creates the registry table in DynamoDB Local exactly as the CDK stack defines it, from the shared definition
 * in `lambdas/table.ts`: keys, the services index, the NEW_AND_OLD_IMAGES stream and TTL.
 */
import { CreateTableCommand, type DynamoDBClient, ResourceInUseException, UpdateTimeToLiveCommand, waitUntilTableExists } from '@aws-sdk/client-dynamodb';
import { registryTable } from '../lambdas/table.js';

/** The CreateTable request for the shared definition (exported so a test can compare it to the CDK template). */
export function createTableInput(tableName: string) {
  const index = registryTable.servicesIndex;
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST' as const,
    AttributeDefinitions: [registryTable.partitionKey, registryTable.sortKey, index.partitionKey, index.sortKey].map((name) => ({
      AttributeName: name,
      AttributeType: 'S' as const,
    })),
    KeySchema: [
      { AttributeName: registryTable.partitionKey, KeyType: 'HASH' as const },
      { AttributeName: registryTable.sortKey, KeyType: 'RANGE' as const },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: index.indexName,
        KeySchema: [
          { AttributeName: index.partitionKey, KeyType: 'HASH' as const },
          { AttributeName: index.sortKey, KeyType: 'RANGE' as const },
        ],
        Projection: { ProjectionType: 'INCLUDE' as const, NonKeyAttributes: [...index.nonKeyAttributes] },
      },
    ],
    StreamSpecification: { StreamEnabled: true, StreamViewType: registryTable.streamView },
  };
}

/**
 * Creates the table and turns TTL on; an existing table (persisted data dir) is left as it is.
 * @returns true when the table was created now
 */
export async function bootstrapTable(client: DynamoDBClient, tableName: string): Promise<boolean> {
  try {
    await client.send(new CreateTableCommand(createTableInput(tableName)));
  } catch (error) {
    if (error instanceof ResourceInUseException) return false;
    throw error;
  }
  await waitUntilTableExists({ client, maxWaitTime: 30 }, { TableName: tableName });
  await client.send(
    new UpdateTimeToLiveCommand({
      TableName: tableName,
      TimeToLiveSpecification: { Enabled: true, AttributeName: registryTable.timeToLiveAttribute },
    }),
  );
  return true;
}
