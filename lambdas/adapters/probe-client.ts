/**
 * HTTP and TCP probes that cannot be turned against internal addresses (SSRF):
 * - the target is only the instance's registered address and port plus the check's path, never a free URL;
 * - a hostname is resolved here, **every** address it resolves to is checked against the address policy, and the
 *   connection goes to the checked address (no second lookup that DNS could answer differently);
 * - redirects are never followed: a 3xx is a failure, like any non-2xx or a timeout.
 * Built on Node's own http/https/net: one request per probe, no keep-alive (a dead process must fail its probe).
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { isIP, Socket } from 'node:net';
import { DEFAULTS } from '../../packages/contracts/src/defaults.js';
import type { AddressPolicy, Resolver } from '../domain/address-policy.js';
import type { Probe, ProbeOutcome, ProbeTarget } from '../domain/prober-ports.js';

const fail = (reason: string): ProbeOutcome => ({ ok: false, reason });

// Shared agents without keep-alive: every probe opens a fresh connection (a dead process must fail its probe),
// without the cost of building an agent per request.
const httpAgent = new HttpAgent({ keepAlive: false, maxSockets: Infinity });
// TLS probes check reachability and status, not identity: certificates for bare IPs rarely verify, as with load
// balancer health checks. The address itself was checked against the policy before connecting.
const httpsAgent = new HttpsAgent({ keepAlive: false, maxSockets: Infinity, rejectUnauthorized: false });

/**
 * @example
 * const probe = createProbe(new AddressPolicy({ allowLoopback: false, allowCidrs: [] }), resolveAll);
 * await probe({ type: 'http', tls: false, address: '10.0.0.5', port: 8080, path: '/health', timeoutSeconds: 2 });
 */
export function createProbe(policy: AddressPolicy, resolve: Resolver): Probe {
  return async (target) => {
    const deadline = Date.now() + target.timeoutSeconds * 1000;
    let addresses: string[];
    if (isIP(target.address)) {
      addresses = [target.address];
    } else {
      try {
        addresses = await resolve(target.address);
      } catch (error) {
        return fail(`dns: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
      }
      if (addresses.length === 0) return fail('dns: no addresses');
    }
    for (const ip of addresses) {
      const refusal = policy.refusal(ip);
      if (refusal) return fail(`refused: ${refusal}`);
    }
    const remaining = Math.max(1, deadline - Date.now());
    return target.type === 'tcp' ? connect(addresses[0]!, target.port, remaining) : get(target, addresses[0]!, remaining);
  };
}

function connect(ip: string, port: number, timeoutMs: number): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (outcome: ProbeOutcome) => {
      socket.destroy();
      resolve(outcome);
    };
    socket.setTimeout(timeoutMs, () => done(fail('timeout')));
    socket.once('error', (error: NodeJS.ErrnoException) => done(fail(`connect: ${error.code ?? error.message}`)));
    socket.connect(port, ip, () => done({ ok: true }));
  });
}

function get(target: ProbeTarget, ip: string, timeoutMs: number): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    const hostHeader = `${isIP(target.address) === 6 ? `[${target.address}]` : target.address}:${target.port}`;
    const options = {
      host: ip,
      port: target.port,
      path: target.path ?? DEFAULTS.healthCheck.path,
      method: 'GET',
      headers: { host: hostHeader, 'user-agent': 'service-registry-prober/1', accept: '*/*' },
    };
    let settled = false;
    const settle = (outcome: ProbeOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      resolve(outcome);
    };
    const onResponse = (res: IncomingMessage) => {
      const status = res.statusCode ?? 0;
      res.resume();
      if (status >= 200 && status < 300) settle({ ok: true });
      else if (status >= 300 && status < 400) settle(fail(`redirect ${status} not followed`));
      else settle(fail(`status ${status}`));
    };
    const req = target.tls
      ? httpsRequest({ ...options, agent: httpsAgent, ...(isIP(target.address) === 0 && { servername: target.address }) }, onResponse)
      : httpRequest({ ...options, agent: httpAgent }, onResponse);
    // One deadline for connect + response headers.
    const timer = setTimeout(() => settle(fail('timeout')), timeoutMs);
    req.once('error', (error: NodeJS.ErrnoException) => settle(fail(`http: ${error.code ?? error.message}`)));
    req.end();
  });
}
