import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { eventually } from './eventually.js';
import { killAndWait } from './processes.js';

const run = promisify(execFile);

/**
 * A Redis Cluster of a test's own: three primaries on `ports` (this suite's range, 21000-21999),
 * with a password and optionally TLS (a self-signed certificate for 127.0.0.1, made with openssl),
 * for what the shared stack's open cluster cannot show: how the services reach a secured one.
 */
export class OwnRedisCluster {
  readonly dir = mkdtempSync(path.join(tmpdir(), 'own-redis-cluster-'));
  private readonly children: ChildProcess[] = [];

  constructor(
    readonly ports: readonly number[],
    readonly password: string,
    readonly tls: boolean,
  ) {}

  /** REDIS_URL for the services: the first node, the password in it. */
  get url(): string {
    return `${this.tls ? 'rediss' : 'redis'}://:${encodeURIComponent(this.password)}@127.0.0.1:${this.ports[0]}`;
  }

  /** The CA file to trust (the self-signed certificate itself); undefined without TLS. */
  get caFile(): string | undefined {
    return this.tls ? path.join(this.dir, 'cert.pem') : undefined;
  }

  get ca(): string | undefined {
    return this.caFile === undefined ? undefined : readFileSync(this.caFile, 'utf8');
  }

  async start(): Promise<void> {
    if (this.tls) {
      await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', path.join(this.dir, 'key.pem'), '-out', path.join(this.dir, 'cert.pem')]);
    }
    for (const port of this.ports) this.children.push(spawn('redis-server', this.nodeArgs(port), { stdio: 'ignore' }));
    const cli = [...this.cliAuth(), '--cluster', 'create', ...this.ports.map((p) => `127.0.0.1:${p}`), '--cluster-yes'];
    // The nodes take a moment to listen, and `--cluster create` can wait for the join without end on
    // a loaded machine: each attempt is cut at 15 s, and the cluster's own state says when it is up
    // (once the slots are assigned and the nodes have met, the join completes without redis-cli).
    await eventually(
      async () => {
        if (await this.up()) return true;
        await run('redis-cli', cli, { timeout: 15_000 }).catch(() => undefined);
        return this.up();
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    );
  }

  private async up(): Promise<boolean> {
    const info = await run('redis-cli', [...this.cliAuth(), '-p', String(this.ports[0]), 'cluster', 'info'], { timeout: 5_000 }).catch(() => ({ stdout: '' }));
    return info.stdout.includes('cluster_state:ok');
  }

  private nodeArgs(port: number): string[] {
    const dir = path.join(this.dir, String(port));
    mkdirSync(dir);
    const common = ['--dir', dir, '--bind', '127.0.0.1', '--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--requirepass', this.password, '--masterauth', this.password, '--save', '', '--appendonly', 'no'];
    if (!this.tls) return [...common, '--port', String(port)];
    const [cert, key] = [path.join(this.dir, 'cert.pem'), path.join(this.dir, 'key.pem')];
    return [...common, '--port', '0', '--tls-port', String(port), '--tls-cluster', 'yes', '--tls-replication', 'yes', '--tls-cert-file', cert, '--tls-key-file', key, '--tls-ca-cert-file', cert, '--tls-auth-clients', 'no'];
  }

  private cliAuth(): string[] {
    return ['-a', this.password, '--no-auth-warning', ...(this.tls ? ['--tls', '--cacert', path.join(this.dir, 'cert.pem')] : [])];
  }

  async close(): Promise<void> {
    await Promise.all(this.children.map((child) => killAndWait(child)));
    rmSync(this.dir, { recursive: true, force: true });
  }
}
