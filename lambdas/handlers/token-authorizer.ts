/** The token authorizer's entry: its factory (lambdas/functions/token-authorizer.ts) over the table named by the environment. */
import { tokenAuthorizer } from '../functions/token-authorizer.js';
import { tokensFromEnv } from '../wiring/tokens.js';

export const handler = tokenAuthorizer(tokensFromEnv());
