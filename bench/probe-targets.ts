/**
 * Fake probe targets for `bench:probe`, in their own process so serving them does not share the prober's core.
 * Prints one JSON line with the ports: healthy (200), failing (500), slow (answers after 3 s), closed (nothing).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { freePort } from '../local/dynamodb-local.js';

const listen = (handler: Parameters<typeof createServer>[1]) =>
  new Promise<number>((resolve) => {
    const server = createServer({ keepAlive: false }, handler);
    server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, () => resolve((server.address() as AddressInfo).port));
  });

const healthy = await listen((_req, res) => res.writeHead(200).end('ok'));
const failing = await listen((_req, res) => res.writeHead(500).end());
const slow = await listen((_req, res) => void setTimeout(() => res.writeHead(200).end(), 3000));
const closed = await freePort();
console.log(JSON.stringify({ healthy, failing, slow, closed }));
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
