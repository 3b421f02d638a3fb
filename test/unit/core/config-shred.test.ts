import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../services/core/config.js';

const SECRET = 'x'.repeat(32);

describe('configuration of crypto-shredding', () => {
  it('defaults to plain mode without secrets', () => {
    const c = loadConfig({});
    expect([c.erasureMode, c.shredSecrets]).toEqual(['plain', []]);
  });

  it('reads ERASURE_MODE=shred with SHRED_SECRET first, then SHRED_RETIRED_SECRETS', () => {
    const c = loadConfig({ ERASURE_MODE: 'shred', SHRED_SECRET: SECRET, SHRED_RETIRED_SECRETS: `${'y'.repeat(32)},${'z'.repeat(40)}` });
    expect([c.erasureMode, c.shredSecrets]).toEqual(['shred', [SECRET, 'y'.repeat(32), 'z'.repeat(40)]]);
  });

  it('reads the secret from SHRED_SECRET_FILE without its final newline', () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'is-shred-')), 'secret');
    writeFileSync(file, `${SECRET}\n`);
    expect(loadConfig({ ERASURE_MODE: 'shred', SHRED_SECRET_FILE: file }).shredSecrets).toEqual([SECRET]);
  });

  it('names every problem: shred without a secret, a short secret, an unknown mode', () => {
    expect(() => loadConfig({ ERASURE_MODE: 'shred' })).toThrow('ERASURE_MODE=shred needs SHRED_SECRET (or SHRED_SECRET_FILE)');
    expect(() => loadConfig({ SHRED_SECRET: 'short' })).toThrow('SHRED_SECRET / SHRED_RETIRED_SECRETS: each must be at least 32 characters');
    expect(() => loadConfig({ ERASURE_MODE: 'delete' })).toThrow(/ERASURE_MODE="delete"/);
  });
});
