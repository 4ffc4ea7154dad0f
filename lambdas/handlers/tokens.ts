/**
 * The token admin routes, one function: `POST /v1/tokens` (201 with the secret, shown once), `GET /v1/tokens` (the
 * tokens without secrets), `DELETE /v1/tokens/{tokenId}` (204; 404 when unknown). Admins only (403 otherwise): in
 * AWS the routes use IAM and `grantAdmin` grants them; locally an admin token of the auth file (or one it created).
 */
import { createTokenBody, tokenPath } from '@service-registry/contracts';
import { DynamoDbTokenStore } from '../adapters/dynamodb-token-store.js';
import { Tokens } from '../domain/tokens.js';
import { parse } from '../domain/validate.js';
import { callerFrom } from '../http/caller.js';
import { json } from '../http/errors.js';
import { readJsonBody } from '../http/json-body.js';
import { httpRoute } from '../http/route.js';
import { config, documentClient } from '../shared/registry.js';

/** What the token routes need: the domain and who counts as an admin under IAM. */
export interface TokenRoutesDependencies {
  readonly tokens: Tokens;
  readonly adminPrincipals: readonly string[];
}

/**
 * @example
 * export const handler = tokenRoutes({ tokens: new Tokens({ store }), adminPrincipals: [] });
 */
export function tokenRoutes({ tokens, adminPrincipals }: TokenRoutesDependencies) {
  return httpRoute(async (event) => {
    const caller = callerFrom(event, adminPrincipals);
    switch (event.requestContext.http.method) {
      case 'POST': {
        const { token, secret } = await tokens.create(caller, parse(createTokenBody, readJsonBody(event), 'body'));
        return json(201, { ...token, secret }, { 'cache-control': 'no-store' });
      }
      case 'DELETE': {
        const { tokenId } = parse(tokenPath, event.pathParameters, 'path');
        if (await tokens.revoke(caller, tokenId)) return json(204, undefined);
        return json(404, { error: { code: 'TOKEN_NOT_FOUND', message: `token '${tokenId}' not found (never created, or already revoked)` } });
      }
      default:
        return json(200, { tokens: await tokens.list(caller) });
    }
  });
}

export const handler = tokenRoutes({
  tokens: new Tokens({ store: new DynamoDbTokenStore(documentClient, config.tableName) }),
  adminPrincipals: config.adminPrincipals,
});
