import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { keyDigest, parseApiKeyEntry, parseApiKeys, scopeAllows } from '../../../services/core/api-keys.js';
import { loadConfig } from '../../../services/core/config.js';

const DIGEST_OF_S3CRET = keyDigest('s3cret');

describe('API key entries', () => {
  it('reads <id>:<scope>:<secret>, keeping only the digest', () => {
    expect(parseApiKeyEntry('billing:read:s3cret')).toEqual({ id: 'billing', scope: 'read', digest: DIGEST_OF_S3CRET });
  });

  it('reads <id>:<scope>:sha256:<hex> as the digest itself (upper-case hex too)', () => {
    expect(parseApiKeyEntry(`ops:erase:sha256:${DIGEST_OF_S3CRET.toUpperCase()}`)).toEqual({ id: 'ops', scope: 'erase', digest: DIGEST_OF_S3CRET });
  });

  it('reads a bare key as the erase scope with an id derived from its digest', () => {
    expect(parseApiKeyEntry('s3cret')).toEqual({ id: `key-${DIGEST_OF_S3CRET.slice(0, 8)}`, scope: 'erase', digest: DIGEST_OF_S3CRET });
  });

  it.each([
    ['a b:read:x', `key id "a b" must be 1-64 letters, digits, '.', '_' or '-'`],
    ['k:write:x', 'key "k": scope must be read or erase (entries are <id>:<scope>:<secret>)'],
    ['k:read:', 'key "k": the secret is empty'],
    ['k:read:sha256:abc', 'key "k": sha256: must be followed by 64 hex digits'],
  ])('refuses %s with a message that does not echo the secret', (entry, message) => {
    expect(() => parseApiKeyEntry(entry)).toThrow(message);
  });

  it('skips blank lines and comments, and lists every problem including a repeated id', () => {
    const { keys, problems } = parseApiKeys(['# rotated 2026-12-01', '', 'a:read:1', 'a:erase:2', 'b:nope:3']);
    expect(keys.map((k) => k.id)).toEqual(['a']);
    expect(problems).toEqual(['key id "a" is used twice', 'key "b": scope must be read or erase (entries are <id>:<scope>:<secret>)']);
  });

  it('lets erase do what read does, never the reverse', () => {
    expect([scopeAllows('erase', 'read'), scopeAllows('erase', 'erase'), scopeAllows('read', 'read'), scopeAllows('read', 'erase')]).toEqual([true, true, true, false]);
  });
});

describe('loadConfig: keys and access settings', () => {
  it('joins API_KEYS and API_KEYS_FILE, so an old and a new key are valid together', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'keys-'));
    try {
      const file = join(dir, 'keys');
      await writeFile(file, `# mounted secret\nnew:read:sha256:${DIGEST_OF_S3CRET}\n\n`);
      const config = loadConfig({ API_KEYS: 'old:erase:old-secret', API_KEYS_FILE: file });
      expect(config.apiKeys.map((k) => [k.id, k.scope])).toEqual([['old', 'erase'], ['new', 'read']]);
      expect(() => loadConfig({ API_KEYS_FILE: join(dir, 'missing') })).toThrow(`API_KEYS_FILE="${join(dir, 'missing')}": cannot be read (ENOENT)`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('has defaults that do not throttle a backend and parses TRUST_PROXY like Fastify', () => {
    const c = loadConfig({});
    expect([c.rateLimitPerMinute, c.rateLimitPerAddressPerMinute, c.authFailuresPerMinute, c.trustProxy, c.publishTimeoutMs]).toEqual([60_000, 0, 30, false, 2000]);
    expect(loadConfig({ TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8,127.0.0.1' }).trustProxy).toBe('10.0.0.0/8,127.0.0.1');
  });

  it('names a bad key entry without its secret', () => {
    expect(() => loadConfig({ API_KEYS: 'x:admin:topsecret' })).toThrow(/API_KEYS: key "x": scope must be read or erase/);
    expect(() => loadConfig({ API_KEYS: 'x:admin:topsecret' })).not.toThrow(/topsecret/);
  });
});
