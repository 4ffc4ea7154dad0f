/** Name resolution for registrations and probes: the system resolver (A and AAAA), with a deadline. */
import { lookup } from 'node:dns/promises';

/** Longest a registration or a probe waits for DNS. */
const DNS_TIMEOUT_MS = 2000;

/**
 * Resolves every address of a hostname (A and AAAA), as the prober will; gives up after two seconds.
 *
 * @example
 * await resolveAll('localhost'); // => ['127.0.0.1', '::1']
 */
export async function resolveAll(hostname: string): Promise<string[]> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error(`DNS lookup of ${hostname} timed out`), { code: 'ETIMEOUT' })), DNS_TIMEOUT_MS);
  });
  try {
    const found = await Promise.race([lookup(hostname, { all: true, verbatim: true }), timeout]);
    return found.map((entry) => entry.address);
  } finally {
    clearTimeout(timer);
  }
}
