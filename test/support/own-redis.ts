import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { eventually } from './eventually.js';
import { killAndWait } from './processes.js';

/**
 * A redis-server of a test's own (on a fixed port of this suite's range, 21000-21999), for tests
 * that kill, restart or flush Redis: the shared stack Redis must never be disturbed. Persistence is
 * the production setting: append-only file, fsync every second, no RDB snapshots.
 */
export class OwnRedis {
  readonly dir = mkdtempSync(path.join(tmpdir(), 'own-redis-'));
  private child: ChildProcess | undefined;

  constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--appendonly', 'yes', '--appendfsync', 'everysec', '--save', ''];
    this.child = spawn('redis-server', args, { stdio: 'ignore' });
    // While it loads the AOF Redis answers -LOADING: a write proves it is ready.
    await eventually(() => this.writable(), { timeoutMs: 15_000, intervalMs: 100 });
  }

  private async writable(): Promise<boolean> {
    const probe = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    // Refused while the server starts: connect() rejects with it; the event would only add a log line.
    probe.on('error', () => {});
    try {
      await probe.connect();
      return (await probe.set('own-redis:ready', '1')) === 'OK';
    } catch {
      return false;
    } finally {
      probe.disconnect();
    }
  }

  /** SIGKILL: whatever was not yet fsynced to the AOF (up to a second of writes) is lost. */
  async kill(): Promise<void> {
    await killAndWait(this.child);
  }

  async close(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
