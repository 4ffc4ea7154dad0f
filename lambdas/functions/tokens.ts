/**
 * The token admin routes, one function: `POST /v1/tokens` (201 with the secret, shown once), `GET /v1/tokens` (the
 * tokens without secrets), `DELETE /v1/tokens/{tokenId}` (204; 404 when unknown). Admins only (403 otherwise): in
 * AWS the routes use IAM and `grantAdmin` grants them; locally an admin token of the auth file (or one it created).
 */
import { TokenNotFoundError } from '../domain/errors.js';
import type { Tokens } from '../domain/tokens.js';
import { json } from '../http/errors.js';
import { bind, type EdgeDependencies, httpRoutes } from '../http/route.js';
import { ROUTES } from '../routes.js';

/** What the token routes need: the edge's dependencies and the token domain. */
export interface TokenRoutesDependencies extends EdgeDependencies {
  readonly tokens: Tokens;
}

/**
 * @example
 * export const handler = tokensHandler(fromEnv());
 */
export function tokensHandler(deps: TokenRoutesDependencies) {
  const { tokens } = deps;
  return httpRoutes(
    [
      bind(ROUTES.CreateToken, async ({ body, caller }) => {
        const { token, secret } = await tokens.create(caller, body);
        return json(201, { ...token, secret }, { 'cache-control': 'no-store' });
      }),
      bind(ROUTES.ListTokens, async ({ caller }) => json(200, { tokens: await tokens.list(caller) })),
      bind(ROUTES.RevokeToken, async ({ path: { tokenId }, caller }) => {
        if (!(await tokens.revoke(caller, tokenId))) throw new TokenNotFoundError(tokenId);
        return json(204, undefined);
      }),
    ],
    deps,
  );
}
