/**
 * The `service-registry` CLI (packages/client/src/cli) spawned as a user runs it, against a local runtime with an
 * auth file: `tokens create` prints the secret once and the secret works; `--json`; `tokens list` never shows a
 * secret; `tokens revoke`; one-line errors on stderr with distinct exit codes (2 usage, 3 not found, 4
 * unauthorised/forbidden, 5 unreachable).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LocalRuntime } from '../../../../local/runtime.js';
import { repoRoot, run } from '../../support.js';
import { apiClient, startTestRuntime } from '../../../support.js';

const ROOT = 'root-token-0123456789a';
const ALICE = 'alice-token-0123456789';
let runtime: LocalRuntime;

/** Runs the CLI from its sources; REGISTRY_URL/REGISTRY_TOKEN cleared unless given. */
const cli = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  run(process.execPath, ['--import', 'tsx', join(repoRoot, 'packages/client/src/cli/index.mts'), ...args], {
    cwd: repoRoot,
    env: { REGISTRY_URL: runtime.url, REGISTRY_TOKEN: ROOT, ...env },
    timeoutMs: 30_000,
  });

let authDir: string | undefined;
beforeAll(async () => {
  authDir = mkdtempSync(join(tmpdir(), 'registry-auth-'));
  const file = join(authDir, 'auth.json');
  writeFileSync(
    file,
    JSON.stringify({ tokens: { [ROOT]: { principal: 'root', services: [], admin: true }, [ALICE]: { principal: 'alice', services: ['orders'] } } }),
  );
  runtime = await startTestRuntime({ prober: false, authFile: file });
});
afterAll(async () => {
  await runtime.stop();
  if (authDir) rmSync(authDir, { recursive: true, force: true });
});

describe('service-registry tokens', () => {
  it('creates a token, printing its secret once on the last line, and the secret works', async () => {
    const ran = await cli(['tokens', 'create', '--principal', 'prometheus', '--read', 'orders', '--read', 'payments', '--expires', '30d']);
    expect({ code: ran.code, stderr: ran.stderr }).toEqual({ code: 0, stderr: '' });
    const lines = ran.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^token [0-9a-f]{16} created: principal prometheus, write -, read orders,payments, expires \S+, created \S+ by root$/);
    const secret = lines.at(-1)!;
    expect(secret).toMatch(/^srt_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    expect(ran.stdout.split(secret)).toHaveLength(2); // once
    expect((await apiClient(runtime.url, secret).discover('orders')).status).toBe(200);
    expect((await apiClient(runtime.url, secret).register('orders', 'x', { address: '10.0.0.1', port: 80 })).status).toBe(403);
  });

  it('prints JSON with --json, lists without secrets, and revokes', async () => {
    const created = await cli(['--json', 'tokens', 'create', '--principal', 'agent', '--service', 'orders']);
    expect(created.code).toBe(0);
    const token = JSON.parse(created.stdout);
    expect(token).toMatchObject({ principal: 'agent', services: ['orders'], read: ['orders'], admin: false, createdBy: 'root' });

    const listed = await cli(['tokens', 'list', '--json']);
    expect(listed.code).toBe(0);
    const tokens = JSON.parse(listed.stdout) as Array<{ tokenId: string }>;
    expect(tokens.map((t) => t.tokenId)).toContain(token.tokenId);
    expect(listed.stdout).not.toContain(token.secret);
    const text = await cli(['tokens', 'list']);
    expect(text.stdout).toContain(`${token.tokenId}  principal agent, write orders, read orders, no expiry`);

    const revoked = await cli(['tokens', 'revoke', token.tokenId]);
    expect({ code: revoked.code, stdout: revoked.stdout }).toEqual({ code: 0, stdout: `token ${token.tokenId} revoked\n` });
    expect((await apiClient(runtime.url, token.secret).discover('orders')).status).toBe(401);
  });

  it.each([
    ['2 for a missing required option', ['tokens', 'create'], {}, 2, /required option '--principal <name>' not specified/],
    ['2 for a bad duration', ['tokens', 'create', '--principal', 'p', '--expires', '3w'], {}, 2, /'3w' is not a duration/],
    ['2 for an unknown command', ['bogus'], {}, 2, /unknown command 'bogus'/],
    ['2 for a malformed token id', ['tokens', 'revoke', 'nothex'], {}, 2, /invalid tokenId/],
    [
      '2 for a service the registry refuses',
      ['tokens', 'create', '--principal', 'p', '--service', 'Orders'],
      {},
      2,
      /400 VALIDATION_FAILED.*body\.services\.0/,
    ],
    ['3 for an unknown token', ['tokens', 'revoke', '0123456789abcdef'], {}, 3, /404 TOKEN_NOT_FOUND/],
    ['4 for a non-admin', ['tokens', 'list'], { REGISTRY_TOKEN: ALICE }, 4, /403 FORBIDDEN: principal 'alice' is not an admin/],
    ['4 for an unknown token', ['tokens', 'list', '--token', 'nobody-knows-this-token'], {}, 4, /401 UNAUTHENTICATED/],
    ['5 for an unreachable registry', ['tokens', 'list', '--url', 'http://127.0.0.1:1'], {}, 5, /registry unreachable at http:\/\/127\.0\.0\.1:1/],
  ])('exits %s, with one line on stderr', async (_name, args, env, code, message) => {
    const ran = await cli(args, env);
    expect(ran.code).toBe(code);
    expect(ran.stdout).toBe('');
    expect(ran.stderr).toMatch(message);
    expect(ran.stderr.trim().split('\n')).toHaveLength(1);
    expect(ran.stderr).toMatch(/^service-registry: /);
  });

  it('signs with SigV4 for --region, with the credentials of --profile', async () => {
    // GIVEN a stand-in for API Gateway that records the Authorization header, and a shared credentials file
    const seen: string[] = [];
    const echo = createServer((req, res) => {
      seen.push(req.headers.authorization ?? '');
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ tokens: [] }));
    });
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
    const dir = mkdtempSync(join(tmpdir(), 'registry-aws-'));
    writeFileSync(join(dir, 'credentials'), '[ops]\naws_access_key_id = AKIDFROMPROFILE\naws_secret_access_key = secret\n');
    try {
      // WHEN
      const ran = await cli(
        ['tokens', 'list', '--json', '--region', 'eu-west-1', '--profile', 'ops', '--url', `http://127.0.0.1:${(echo.address() as AddressInfo).port}`],
        {
          REGISTRY_TOKEN: '',
          AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials'),
          AWS_CONFIG_FILE: join(dir, 'config'),
          AWS_ACCESS_KEY_ID: '',
          AWS_SECRET_ACCESS_KEY: '',
          AWS_PROFILE: '',
        },
      );
      // THEN
      expect({ code: ran.code, stdout: ran.stdout, stderr: ran.stderr }).toEqual({ code: 0, stdout: '[]\n', stderr: '' });
      expect(seen).toEqual([expect.stringMatching(/^AWS4-HMAC-SHA256 Credential=AKIDFROMPROFILE\/\d{8}\/eu-west-1\/execute-api\/aws4_request/)]);
    } finally {
      await new Promise((resolve) => echo.close(resolve));
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('takes the SigV4 region from an execute-api URL', async () => {
    const code = `import { clientFrom } from './packages/client/src/cli/shared.mts';
      const client = clientFrom({ url: 'https://abc123.execute-api.ap-southeast-2.amazonaws.com' });
      const { headers } = await client.authorizedRequest('GET', '/v1/tokens');
      console.log(headers.authorization);`;
    const ran = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
      cwd: repoRoot,
      env: { REGISTRY_TOKEN: '', AWS_ACCESS_KEY_ID: 'AKIDFROMENV', AWS_SECRET_ACCESS_KEY: 'secret', AWS_PROFILE: '' },
    });
    expect({ code: ran.code, stderr: ran.stderr }).toEqual({ code: 0, stderr: '' });
    expect(ran.stdout).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDFROMENV\/\d{8}\/ap-southeast-2\/execute-api\/aws4_request/);
  });

  it('exits 2 for a --url that is not a URL', async () => {
    const ran = await cli(['tokens', 'list', '--url', 'not a url']);
    expect({ code: ran.code, stderr: ran.stderr }).toEqual({
      code: 2,
      stderr: "service-registry: --url 'not a url' is not a URL (e.g. http://127.0.0.1:4000)\n",
    });
  });

  it('prints help with exit 0 and never shows the token from the environment', async () => {
    const ran = await cli(['--help']);
    expect(ran.code).toBe(0);
    expect(ran.stdout).toContain('tokens');
    expect(ran.stdout).not.toContain(ROOT);
  });
});
