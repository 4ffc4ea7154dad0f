/**
 * Starts one DynamoDB Local for the whole test run; test files create their own tables in it. Plain ESM that
 * loads the TypeScript helper through tsx, because Jest loads global setup outside its module transform.
 */
import { tsImport } from 'tsx/esm/api';

export default async function globalSetup() {
  // As `npm start` does (local/main.ts): the functions run on nodejs22.x in AWS. Workers inherit it.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const { startDynamoDbLocal } = await tsImport('../local/dynamodb-local.ts', import.meta.url);
  const db = await startDynamoDbLocal();
  process.env.TEST_DYNAMODB_ENDPOINT = db.endpoint;
  globalThis.__dynamoDbLocal = db;
}
