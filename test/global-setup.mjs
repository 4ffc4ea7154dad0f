/**
 * Starts one DynamoDB Local for the whole test run; test files create their own tables in it. Plain ESM that
 * loads the TypeScript helper through tsx, because Jest loads global setup outside its module transform.
 */
import { tsImport } from 'tsx/esm/api';

export default async function globalSetup() {
  const { startDynamoDbLocal } = await tsImport('../local/dynamodb-local.ts', import.meta.url);
  const db = await startDynamoDbLocal();
  process.env.TEST_DYNAMODB_ENDPOINT = db.endpoint;
  globalThis.__dynamoDbLocal = db;
}
