/**
 * The registry as the functions use it, built once per cold start: config, DynamoDB client, store, address
 * policy and resolver. The endpoint comes from the SDK's own configuration (`AWS_ENDPOINT_URL_DYNAMODB` points it
 * at DynamoDB Local in the local runtime), so the code path is the same in AWS and locally.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { lookup } from 'node:dns/promises';
import { DynamoDbInstanceStore } from '../adapters/dynamodb-store.js';
import { AddressPolicy } from '../domain/address-policy.js';
import { Registry } from '../domain/registry.js';
import { loadConfig } from './config.js';

export const config = loadConfig();

export const documentClient = DynamoDBDocumentClient.from(new DynamoDBClient({}), {
  marshallOptions: { removeUndefinedValues: true },
});

/** Longest a registration or a probe waits for DNS. */
const DNS_TIMEOUT_MS = 2000;

/** Resolves every address of a hostname (A and AAAA), as the prober will; gives up after two seconds. */
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

const store = new DynamoDbInstanceStore(documentClient, config.tableName, config.probeShards);

export const registry = new Registry({
  store,
  protection: store,
  maxLeaseProtectionSeconds: config.maxLeaseProtectionSeconds,
  provisional: { leaseExpiryShare: config.leaseExpiryShare, minPopulation: config.minPopulation, roundIntervalSeconds: config.roundIntervalSeconds },
  addressPolicy: new AddressPolicy({ allowLoopback: config.allowLoopback, allowCidrs: config.allowCidrs }),
  resolve: resolveAll,
});
