/** The stream publisher's entry: its factory (lambdas/functions/publisher.ts) over dependencies read from the environment once. */
import { publisherHandler } from '../functions/publisher.js';
import { publisherFromEnv } from '../wiring/publisher.js';

export const handler = publisherHandler(publisherFromEnv());
