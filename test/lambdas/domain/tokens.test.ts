/** The token domain on its own (an in-memory store, an injected clock and random source): no server, no AWS. */
import { hashSecret, tokenIdOf, Tokens, type StoredToken, type TokenStore } from '../../../lambdas/domain/tokens.js';

class MemoryTokenStore implements TokenStore {
  readonly items = new Map<string, StoredToken>();
  async create(token: StoredToken) {
    if (this.items.has(token.tokenId)) throw new Error('exists');
    this.items.set(token.tokenId, token);
  }
  async get(tokenId: string) {
    return this.items.get(tokenId);
  }
  async list() {
    return [...this.items.values()];
  }
  async remove(tokenId: string) {
    return this.items.delete(tokenId);
  }
}

const admin = { principal: 'root', services: [], read: [], admin: true };

describe('Tokens', () => {
  it('makes a secret srt_<id>_<43 base64url> whose id is the token id, and stores only its hash', async () => {
    const store = new MemoryTokenStore();
    let byte = 0;
    const tokens = new Tokens({ store, now: () => 0, random: (n) => Buffer.alloc(n, ++byte) });
    const { token, secret } = await tokens.create(admin, { principal: 'p', services: ['orders'], admin: false });
    expect(token.tokenId).toBe('0101010101010101');
    expect(secret).toBe(`srt_0101010101010101_${Buffer.alloc(32, 2).toString('base64url')}`);
    expect(tokenIdOf(secret)).toBe(token.tokenId);
    expect(store.items.get(token.tokenId)!.hash).toBe(hashSecret(secret));
    expect(JSON.stringify([...store.items.values()])).not.toContain(secret);
  });

  it('reads what it writes unless told otherwise, and lists oldest first without hashes', async () => {
    let now = 1_000;
    const tokens = new Tokens({ store: new MemoryTokenStore(), now: () => now++ });
    await tokens.create(admin, { principal: 'second-made-first', services: ['orders'], admin: false });
    await tokens.create(admin, { principal: 'reader', services: [], read: ['*'], admin: false });
    const listed = await tokens.list(admin);
    expect(listed.map((t) => [t.principal, t.services, t.read])).toEqual([
      ['second-made-first', ['orders'], ['orders']],
      ['reader', [], ['*']],
    ]);
    expect(listed.every((t) => !('hash' in t) && !('secret' in t))).toBe(true);
  });

  it('authenticates until the expiry instant, not at it', async () => {
    let now = 0;
    const tokens = new Tokens({ store: new MemoryTokenStore(), now: () => now });
    const { secret } = await tokens.create(admin, { principal: 'p', services: [], admin: false, expiresInSeconds: 60 });
    now = 59_999;
    await expect(tokens.authenticate(`Bearer ${secret}`)).resolves.toEqual({ principal: 'p', services: [], read: [], admin: false });
    now = 60_000;
    await expect(tokens.authenticate(`Bearer ${secret}`)).rejects.toThrow('unknown, revoked or expired bearer token');
  });
});
