/**
 * The AWS Lambda authorizer of the token routes, against DynamoDB Local through the real adapter: a valid token is
 * authorized with the context `callerFrom` reads back into the same caller; anything else — unknown, wrong secret,
 * revoked, expired, malformed or missing header — is unauthorized; a lookup that fails throws (API Gateway answers
 * 500) rather than letting the request through.
 */
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { DynamoDbTokenStore } from '../../../lambdas/adapters/dynamodb-token-store.js';
import { Tokens } from '../../../lambdas/domain/tokens.js';
import { callerFrom } from '../../../lambdas/http/caller.js';
import { tokenItemKey } from '../../../lambdas/table.js';
import { bootstrapTable } from '../../../local/bootstrap-table.js';
import { LOCAL_AWS_ENV } from '../../../local/dynamodb-local.js';
import { tokenAuthorizer } from '../../../lambdas/functions/token-authorizer.js';

const tableName = `tokens-${randomUUID()}`;
const raw = new DynamoDBClient({
  endpoint: process.env.TEST_DYNAMODB_ENDPOINT,
  region: LOCAL_AWS_ENV.AWS_REGION,
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
});
const client = DynamoDBDocumentClient.from(raw);
let now = Date.UTC(2026, 10, 24, 12);
const tokens = new Tokens({ store: new DynamoDbTokenStore(client, tableName), now: () => now });
const admin = { principal: 'root', services: [], read: [], admin: true };

const authorize = tokenAuthorizer(tokens);
const request = (authorization: string | undefined) => ({
  headers: authorization === undefined ? {} : { authorization },
  ...(authorization !== undefined && { identitySource: [authorization] }),
});

beforeAll(async () => {
  await bootstrapTable(raw, tableName);
});
afterAll(() => raw.destroy());

describe('the token authorizer', () => {
  it('authorizes a valid token with a context callerFrom turns back into the same caller', async () => {
    // GIVEN a read-only token for the orders and payments services
    const { secret } = await tokens.create(admin, { principal: 'prometheus', services: [], read: ['orders', 'payments'], admin: false });
    // WHEN
    const result = await authorize(request(`Bearer ${secret}`));
    // THEN the context is strings and booleans only, as API Gateway's simple responses allow
    expect(result).toEqual({ isAuthorized: true, context: { principal: 'prometheus', services: '', read: 'orders,payments', admin: false } });
    const event = { requestContext: { authorizer: { lambda: (result as { context: object }).context } } } as unknown as APIGatewayProxyEventV2;
    expect(callerFrom(event, [])).toEqual({ principal: 'prometheus', services: [], read: ['orders', 'payments'], admin: false });
  });

  it('carries write scope and the admin flag through the context', async () => {
    const { secret } = await tokens.create(admin, { principal: 'eureka-agent', services: ['orders', '*'], admin: true });
    const result = await authorize(request(`bearer ${secret}`));
    expect(result).toEqual({ isAuthorized: true, context: { principal: 'eureka-agent', services: 'orders,*', read: 'orders,*', admin: true } });
    const event = { requestContext: { authorizer: { lambda: (result as { context: object }).context } } } as unknown as APIGatewayProxyEventV2;
    expect(callerFrom(event, [])).toEqual({ principal: 'eureka-agent', services: ['orders', '*'], read: ['orders', '*'], admin: true });
  });

  it('stores only the SHA-256 of the secret', async () => {
    const { token, secret } = await tokens.create(admin, { principal: 'p', services: [], admin: false });
    const item = (await client.send(new GetCommand({ TableName: tableName, Key: tokenItemKey(token.tokenId) }))).Item!;
    expect(JSON.stringify(item)).not.toContain(secret.slice(`srt_${token.tokenId}_`.length));
    expect(item.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuses an unknown token, a wrong secret for a known id, and a token of the auth file shape', async () => {
    const { token } = await tokens.create(admin, { principal: 'p', services: [], read: ['*'], admin: false });
    const wrongSecret = `srt_${token.tokenId}_${'A'.repeat(43)}`;
    const unknownId = `srt_0123456789abcdef_${'A'.repeat(43)}`;
    for (const header of [`Bearer ${wrongSecret}`, `Bearer ${unknownId}`, 'Bearer alice-token-0123456789']) {
      expect(await authorize(request(header))).toEqual({ isAuthorized: false });
    }
  });

  it('refuses a revoked token', async () => {
    const { token, secret } = await tokens.create(admin, { principal: 'p', services: ['orders'], admin: false });
    expect(await authorize(request(`Bearer ${secret}`))).toMatchObject({ isAuthorized: true });
    expect(await tokens.revoke(admin, token.tokenId)).toBe(true);
    expect(await authorize(request(`Bearer ${secret}`))).toEqual({ isAuthorized: false });
    expect(await tokens.revoke(admin, token.tokenId)).toBe(false);
  });

  it('refuses an expired token from its expiry on, and lets DynamoDB collect it a day later', async () => {
    const { token, secret } = await tokens.create(admin, { principal: 'p', services: [], read: ['*'], admin: false, expiresInSeconds: 3600 });
    const item = (await client.send(new GetCommand({ TableName: tableName, Key: tokenItemKey(token.tokenId) }))).Item!;
    expect(item.ttl).toBe(Math.ceil((now + 3_600_000) / 1000) + 86_400);
    now += 3_599_999;
    expect(await authorize(request(`Bearer ${secret}`))).toMatchObject({ isAuthorized: true });
    now += 1;
    expect(await authorize(request(`Bearer ${secret}`))).toEqual({ isAuthorized: false });
  });

  it.each([
    ['no header', undefined],
    ['an empty header', ''],
    ['another scheme', 'Basic dXNlcjpwYXNz'],
    ['the scheme alone', 'Bearer'],
    ['two tokens', 'Bearer a b'],
    ['a truncated secret', 'Bearer srt_0123456789abcdef_short'],
  ])('refuses a malformed header: %s', async (_name, header) => {
    expect(await authorize(request(header))).toEqual({ isAuthorized: false });
  });

  it('fails (never authorizes) when the table cannot be read', async () => {
    const broken = tokenAuthorizer(new Tokens({ store: new DynamoDbTokenStore(client, `missing-${randomUUID()}`) }));
    await expect(broken(request(`Bearer srt_0123456789abcdef_${'A'.repeat(43)}`))).rejects.toThrow(/non-existent table|not found|ResourceNotFound/i);
  });

  it('refuses token management to anyone but an admin', async () => {
    const reader = { principal: 'gateway', services: [], read: ['*'], admin: false };
    await expect(tokens.create(reader, { principal: 'x', services: ['*'], admin: true })).rejects.toThrow(/not an admin/);
    await expect(tokens.list(reader)).rejects.toThrow(/not an admin/);
    await expect(tokens.revoke(reader, '0123456789abcdef')).rejects.toThrow(/not an admin/);
  });
});
