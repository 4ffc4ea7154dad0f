/**
 * DynamoDB adapter of {@link TokenStore}: one item per token in the `TOKENS` partition (`lambdas/table.ts`). Reads
 * are strongly consistent, so a token revoked a moment ago is refused by the next lookup (API Gateway's authorizer
 * cache aside). An expiring token also gets `ttl`, so DynamoDB collects it a day after it stopped working; the
 * stream filter keeps that deletion, like every token write, from the publisher.
 */
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { StoredToken, TokenStore } from '../domain/tokens.js';
import { registryTable, TOKEN_PARTITION, TOKEN_PREFIX, tokenItemKey } from '../table.js';

/** A day after expiry: long enough that a token is never collected while it still counts. */
const TTL_GRACE_SECONDS = 86_400;

type Item = Record<string, unknown>;

export class DynamoDbTokenStore implements TokenStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async create(token: StoredToken): Promise<void> {
    const item: Item = { ...tokenItemKey(token.tokenId), ...token };
    if (token.expiresAtMs !== undefined) item[registryTable.timeToLiveAttribute] = Math.ceil(token.expiresAtMs / 1000) + TTL_GRACE_SECONDS;
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: item,
        // Never overwrite another token's item (a 64-bit random id colliding): the create fails instead.
        ConditionExpression: 'attribute_not_exists(#pk)',
        ExpressionAttributeNames: { '#pk': registryTable.partitionKey },
      }),
    );
  }

  async get(tokenId: string): Promise<StoredToken | undefined> {
    const out = await this.client.send(new GetCommand({ TableName: this.tableName, Key: tokenItemKey(tokenId), ConsistentRead: true }));
    return out.Item ? toStoredToken(out.Item) : undefined;
  }

  async list(): Promise<StoredToken[]> {
    const tokens: StoredToken[] = [];
    let start: Item | undefined;
    do {
      const out = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
          ExpressionAttributeNames: { '#pk': registryTable.partitionKey, '#sk': registryTable.sortKey },
          ExpressionAttributeValues: { ':pk': TOKEN_PARTITION, ':prefix': TOKEN_PREFIX },
          ConsistentRead: true,
          ...(start && { ExclusiveStartKey: start }),
        }),
      );
      tokens.push(...(out.Items ?? []).map(toStoredToken));
      start = out.LastEvaluatedKey;
    } while (start);
    return tokens;
  }

  async remove(tokenId: string): Promise<boolean> {
    const out = await this.client.send(new DeleteCommand({ TableName: this.tableName, Key: tokenItemKey(tokenId), ReturnValues: 'ALL_OLD' }));
    return out.Attributes !== undefined;
  }
}

/** Item → stored token: the domain fields only (keys and `ttl` dropped). */
function toStoredToken(item: Item): StoredToken {
  return {
    tokenId: String(item.tokenId),
    hash: String(item.hash),
    principal: String(item.principal),
    services: Array.isArray(item.services) ? item.services.map(String) : [],
    read: Array.isArray(item.read) ? item.read.map(String) : [],
    admin: item.admin === true,
    createdAtMs: Number(item.createdAtMs),
    createdBy: String(item.createdBy),
    ...(typeof item.expiresAtMs === 'number' && { expiresAtMs: item.expiresAtMs }),
  };
}
