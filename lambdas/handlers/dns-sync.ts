/** The DNS sync's entry: its factory (lambdas/functions/dns-sync.ts) over dependencies read from the environment once. */
import { dnsSyncHandler } from '../functions/dns-sync.js';
import { dnsSyncFromEnv } from '../wiring/dns-sync.js';

export const handler = dnsSyncHandler(dnsSyncFromEnv());
