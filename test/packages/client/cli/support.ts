/**
 * Helpers of the CLI tests: the CLI spawned from its sources as a user runs it, a long-running one (`watch`,
 * `console`) whose output is read as it comes, and a stand-in for API Gateway that VERIFIES SigV4 signatures (as
 * IAM auth does) before passing the request on to a real local runtime.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { repoRoot, run, type Ran } from '../../support.js';
import { wakeOrTimeout } from '../../../support.js';

export const CLI = join(repoRoot, 'packages/client/src/cli/index.mts');

/** Settings of the test process the CLI must not inherit (Jest sets FORCE_COLOR, say). */
const CLEARED = [
  'REGISTRY_URL',
  'REGISTRY_TOKEN',
  'NO_COLOR',
  'FORCE_COLOR',
  'COLUMNS',
  'CI',
  'AWS_PROFILE',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_REGION',
  'AWS_DEFAULT_REGION',
];

/** The environment of a CLI run: this process's, without {@link CLEARED}, plus `env`. */
export function cliEnv(env: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const base = Object.fromEntries(Object.entries(process.env).filter(([key]) => !CLEARED.includes(key)));
  return { ...base, ...env };
}

/** Runs the CLI to its end (see {@link cliEnv} for its environment). */
export function cli(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { cwd: repoRoot, env: cliEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A CLI process that keeps running: its stdout lines as they come, and a way to stop it and await its exit. */
export function spawnCli(args: readonly string[], env: NodeJS.ProcessEnv = {}) {
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { cwd: repoRoot, env: cliEnv(env) });
  const lines: string[] = [];
  let stderr = '';
  let partial = '';
  const waiters = new Set<() => void>();
  child.stdout.on('data', (chunk: Buffer) => {
    partial += chunk.toString();
    const parts = partial.split('\n');
    partial = parts.pop()!;
    lines.push(...parts);
    waiters.forEach((w) => w());
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  return {
    lines,
    get stderr() {
      return stderr;
    },
    /** The first line (not yet consumed or not) matching, within `timeoutMs`. */
    async line(match: RegExp, timeoutMs = 10_000): Promise<string> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = lines.find((l) => match.test(l));
        if (found !== undefined) return found;
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`no line matching ${match} within ${timeoutMs} ms; stdout: ${lines.join('\n')}; stderr: ${stderr}`);
        await wakeOrTimeout(waiters, left);
      }
    },
    /** Sends SIGINT (Ctrl-C) and resolves to the exit code. */
    async stop(): Promise<number | null> {
      if (child.exitCode === null) child.kill('SIGINT');
      return exited;
    },
    exited,
  };
}

/** The access key the stand-in accepts, and its secret. */
export const ACCESS_KEY = 'AKIDCONSOLE';
export const SECRET_KEY = 'console-secret';

/**
 * A stand-in for API Gateway's IAM auth in `region`: each request's SigV4 signature is computed again from what
 * arrived (method, path, query as AWS reads it, the signed headers, the body) with the one known key; a mismatch,
 * an unknown key or an unsigned request is a 403 as API Gateway answers it, and never reaches the registry. What
 * verifies is passed on to `upstream` (a local runtime in open mode).
 */
export async function startSigV4StandIn(upstream: string, region = 'eu-west-1') {
  const verifier = new SignatureV4({ service: 'execute-api', region, credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY }, sha256: Sha256 });
  const seen: Array<{ method: string; url: string; verified: boolean; headers: IncomingHttpHeaders }> = [];
  const server: Server = createServer((req, res) => {
    void (async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
      const body = Buffer.concat(chunks).toString('utf8');
      const verified = await verify(verifier, req.method!, req.url!, req.headers, body);
      seen.push({ method: req.method!, url: req.url!, verified, headers: req.headers });
      if (!verified) {
        res.writeHead(403, { 'content-type': 'application/json' });
        return res.end(JSON.stringify({ message: 'The request signature we calculated does not match the signature you provided.' }));
      }
      const forwarded = await fetch(upstream + req.url, {
        method: req.method!,
        headers: Object.fromEntries(
          ['content-type', 'if-none-match'].filter((h) => typeof req.headers[h] === 'string').map((h) => [h, req.headers[h] as string]),
        ),
        ...(body && { body }),
      });
      const headers: Record<string, string> = {};
      for (const name of ['content-type', 'etag']) {
        const value = forwarded.headers.get(name);
        if (value) headers[name] = value;
      }
      res.writeHead(forwarded.status, headers);
      res.end(Buffer.from(await forwarded.arrayBuffer()));
    })().catch((error: unknown) => {
      res.writeHead(500).end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

async function verify(verifier: SignatureV4, method: string, url: string, headers: IncomingHttpHeaders, body: string): Promise<boolean> {
  const match = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/\d{8}\/[^/]+\/execute-api\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(
    headers.authorization ?? '',
  );
  const amzDate = headers['x-amz-date'];
  if (!match || match[1] !== ACCESS_KEY || typeof amzDate !== 'string') return false;
  const [path, raw = ''] = url.split('?') as [string, string?];
  // How AWS reads a query to verify a signature: split on & and =, percent-decode, then canonicalise
  // (https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html#create-canonical-request).
  const query: Record<string, string[]> = {};
  for (const pair of raw.split('&').filter(Boolean)) {
    const [name, value = ''] = pair.split('=').map(decodeURIComponent) as [string, string?];
    (query[name] ??= []).push(value);
  }
  const signingDate = new Date(amzDate.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'));
  const again = await verifier.sign(
    {
      method,
      protocol: 'http:',
      hostname: '127.0.0.1',
      path, // as the client signed it: the encoded path it sent
      query,
      headers: Object.fromEntries(match[2]!.split(';').map((name) => [name, String(headers[name] ?? '')])),
      ...(body && { body }),
    },
    { signingDate },
  );
  return again.headers.authorization === headers.authorization;
}

export { run };
