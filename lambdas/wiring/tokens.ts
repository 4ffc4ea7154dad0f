/** The token authorizer's one dependency, built alone: the authorizer runs before every request to a token route. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDbTokenStore } from '../adapters/dynamodb-token-store.js';
import { Tokens } from '../domain/tokens.js';
import { required } from './config.js';

/**
 * The token authorizer's one dependency: the tokens in the table (`TABLE_NAME`). Nothing else is built.
 *
 * @example
 * export const handler = tokenAuthorizer(tokensFromEnv());
 */
export function tokensFromEnv(env: NodeJS.ProcessEnv = process.env): Tokens {
  const documentClient = DynamoDBDocumentClient.from(new DynamoDBClient({}));
  return new Tokens({ store: new DynamoDbTokenStore(documentClient, required(env, 'TABLE_NAME')) });
}
