import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { unique } from '../support/names.js';
import { run } from '../support/processes.js';
import { redisEnv } from '../support/test-redis.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const CLI = ['--import', 'tsx', path.join(ROOT, 'services/cli/main.ts')];

/** A port nothing listens on (it was free a moment ago). */
function deadPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

describe('first contact', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'first-contact-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a command that needs a stack that is not there says in one line how to start it', async () => {
    const port = await deadPort();
    const noKafka = await run(process.execPath, [...CLI, 'query'], { cwd: ROOT, env: { KAFKA_BROKERS: `127.0.0.1:${port}`, ...redisEnv() } });
    expect(noKafka.code).toBe(1);
    expect(noKafka.stderr).toBe(`error BROKER_UNAVAILABLE: no Kafka broker answers at 127.0.0.1:${port}: start the local stack with \`npm run stack:up\`, or point KAFKA_BROKERS at yours\n`);
    const noRedis = await run(process.execPath, [...CLI, 'user', 'show', 'u1'], { cwd: ROOT, env: { KAFKA_BROKERS: inject('kafkaBrokers'), REDIS_URL: `redis://127.0.0.1:${port}` } });
    expect(noRedis.code).toBe(1);
    expect(noRedis.stderr).toBe(`error STORE_UNAVAILABLE: no Redis answers at 127.0.0.1:${port}: start the local stack with \`npm run stack:up\`, or point REDIS_URL at yours\n`);
  });

  it('the demo’s terminal shows only its story, its logs go to the file it names, and it says what Ctrl-C leaves running', async () => {
    const env = {
      KAFKA_BROKERS: inject('kafkaBrokers'),
      ...redisEnv(),
      EMBEDDED_STORE_DIR: path.join(dir, 'vectors'),
      QUERY_HTTP_PORT: '0',
      QUERY_GRPC_PORT: '0',
      LOG_LEVEL: 'info',
    };
    const child = spawn(process.execPath, [...CLI, 'demo', '--quick', '--namespace', unique('demo')], { cwd: ROOT, env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
        if (stdout.includes('stops them.\n')) resolve();
      });
      void exited.then((code) => reject(new Error(`demo exited (${code}) early:\n${stdout}\n${stderr}`)));
    });
    child.kill('SIGINT');
    expect(await exited).toBe(0);

    const logFile = path.join(dir, 'demo.log');
    expect(stdout.split('\n')[0]).toBe(`(the demo's services log to ${logFile})`);
    expect(stdout).toContain('phase 4/4');
    expect(stdout.split('\n').filter((l) => l.trimStart().startsWith('{'))).toEqual([]);
    expect(stderr).toBe('');
    expect(stdout).toContain(
      'Ctrl-C stops what the demo started in this process: ingest, the snapshotter and the query service.\n' +
        `Kafka (${env.KAFKA_BROKERS}) and Redis (${env.REDIS_URL}) keep running for the next run; \`npm run stack:down\` stops them.`,
    );
    expect(existsSync(logFile)).toBe(true);
    const log = readFileSync(logFile, 'utf8');
    expect(log).toContain('"msg":"ingest running"');
    expect(log).toContain('"msg":"query service stopped"');
    expect(log).not.toContain('EoS');
  });
});
