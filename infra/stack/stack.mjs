#!/usr/bin/env node
// The local stack: a real Kafka broker (KRaft) and a real Redis for tests, the demo and benchmarks.
//
//   node infra/stack/stack.mjs up      start (or reuse) and write .stack/env
//   node infra/stack/stack.mjs down    stop exactly what `up` started, by pid
//   node infra/stack/stack.mjs status
//
// Order of preference for `up`:
//   1. endpoints already given in the environment (KAFKA_BROKERS and REDIS_URL) are used as they are;
//   2. Docker, when an engine answers: `docker compose up -d kafka redis` from docker-compose.yml;
//   3. the native path: Kafka's own jars from Maven Central (infra/kafka/pom.xml) and `redis-server`;
//   4. otherwise one error naming what is missing and how to install it.
//
// Settings (environment): STACK_DIR (default .stack), STACK_KAFKA_PORT (19092),
// STACK_KAFKA_CONTROLLER_PORT (19093), STACK_REDIS_PORT (16379), STACK_KAFKA_HEAP (512m),
// STACK_NO_DOCKER=1 to skip the Docker path. `--cluster` / STACK_TOPOLOGY=cluster: infra/stack/cluster.mjs.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const env = process.env;
const STACK_DIR = path.resolve(ROOT, env.STACK_DIR ?? '.stack');
const KAFKA_PORT = Number(env.STACK_KAFKA_PORT ?? 19092);
const CONTROLLER_PORT = Number(env.STACK_KAFKA_CONTROLLER_PORT ?? 19093);
const REDIS_PORT = Number(env.STACK_REDIS_PORT ?? 16379);
const KAFKA_HEAP = env.STACK_KAFKA_HEAP ?? '512m';
const KAFKA_DIR = path.join(ROOT, 'infra', 'kafka');
const LIBS_DIR = path.join(KAFKA_DIR, '.cache', 'libs');

const log = (msg) => console.error(`[stack] ${msg}`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function pidFile(name) {
  return path.join(STACK_DIR, `${name}.pid`);
}

function readPid(name) {
  try {
    const pid = Number(readFileSync(pidFile(name), 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

export function alive(pid) {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function has(cmd, args = ['--version']) {
  const r = spawnSync(cmd, args, { stdio: 'ignore' });
  return r.status === 0;
}

export function tcpOpen(host, port, timeoutMs = 500) {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    const done = (ok) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

/** Sends a RESP PING and waits for +PONG: Redis is ready only when it answers, not when it listens. */
export function redisPing(host, port, timeoutMs = 1000) {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    let buf = '';
    const done = (ok) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('connect', () => s.write('PING\r\n'));
    s.on('data', (d) => {
      buf += d.toString();
      if (buf.includes('\r\n')) done(buf.startsWith('+PONG'));
    });
    s.once('error', () => done(false));
  });
}

/** Kafka is ready when a metadata request succeeds (the controller has elected itself and the broker is unfenced). */
export async function kafkaMetadataOk(brokers) {
  const { Kafka, logLevel } = await import('kafkajs');
  const kafka = new Kafka({ clientId: 'stack-probe', brokers, logLevel: logLevel.NOTHING, retry: { retries: 0 }, connectionTimeout: 1000 });
  const admin = kafka.admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.brokers.length > 0 && cluster.controller !== null && cluster.controller !== -1;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

export async function waitFor(what, check, timeoutMs, logFile) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(250);
  }
  throw new Error(`${what} was not ready after ${timeoutMs / 1000}s${logFile ? `; see ${logFile}` : ''}`);
}

function writeEnv(values, mode) {
  mkdirSync(STACK_DIR, { recursive: true });
  const lines = [`# written by infra/stack/stack.mjs (${mode}); source it or let the tests read it`, `STACK_MODE=${mode}`];
  for (const [k, v] of Object.entries(values)) lines.push(`${k}=${v}`);
  writeFileSync(path.join(STACK_DIR, 'env'), `${lines.join('\n')}\n`);
}

/** Reads .stack/env into an object, or undefined when absent. */
export function readStackEnv() {
  const file = path.join(STACK_DIR, 'env');
  if (!existsSync(file)) return undefined;
  const out = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line);
    if (m) out[m[1]] = m[2];
  }
  return out;
}

// ---------------------------------------------------------------- docker

function dockerCompose() {
  if (env.STACK_NO_DOCKER === '1') return undefined;
  if (!has('docker', ['info'])) return undefined;
  if (has('docker', ['compose', 'version'])) return ['docker', 'compose'];
  if (has('docker-compose', ['version'])) return ['docker-compose'];
  return undefined;
}

async function upDocker(compose) {
  log('Docker engine found: starting kafka and redis from docker-compose.yml');
  const [cmd, ...pre] = compose;
  const r = spawnSync(cmd, [...pre, '-f', path.join(ROOT, 'docker-compose.yml'), 'up', '-d', 'kafka', 'redis'], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('docker compose up failed');
  const brokers = ['127.0.0.1:9092'];
  await waitFor('Kafka (docker)', () => kafkaMetadataOk(brokers), 120_000);
  await waitFor('Redis (docker)', () => redisPing('127.0.0.1', 6379), 60_000);
  writeEnv({ KAFKA_BROKERS: brokers.join(','), REDIS_URL: 'redis://127.0.0.1:6379' }, 'docker');
}

function downDocker(compose) {
  const [cmd, ...pre] = compose;
  spawnSync(cmd, [...pre, '-f', path.join(ROOT, 'docker-compose.yml'), 'stop', 'kafka', 'redis'], { stdio: 'inherit' });
}

// ---------------------------------------------------------------- native

function missingNativeTools() {
  const missing = [];
  if (!has('java', ['-version'])) missing.push('Java 17+ (Debian: apt-get install openjdk-17-jre-headless)');
  if (!existsSync(LIBS_DIR) && !has('mvn', ['-v'])) missing.push('Maven, to fetch Kafka once (Debian: apt-get install maven)');
  if (!has('redis-server', ['--version'])) missing.push('redis-server (Debian: apt-get install redis-server)');
  return missing;
}

export function resolveKafkaJars() {
  const marker = path.join(LIBS_DIR, '.complete');
  if (existsSync(marker)) return;
  log('resolving Kafka jars from Maven Central (once) into infra/kafka/.cache/libs');
  rmSync(LIBS_DIR, { recursive: true, force: true });
  const r = spawnSync('mvn', ['-q', '-B', '-f', path.join(KAFKA_DIR, 'pom.xml'), 'dependency:copy-dependencies'], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('mvn dependency:copy-dependencies failed (see its output above)');
  if (!readdirSync(LIBS_DIR).some((f) => f.startsWith('kafka_2.13-'))) throw new Error(`no kafka_2.13 jar in ${LIBS_DIR}`);
  writeFileSync(marker, new Date().toISOString());
}

function startDetached(name, cmd, args, dir = STACK_DIR) {
  const logFile = path.join(dir, `${name}.log`);
  const fd = openSync(logFile, 'a');
  const child = spawn(cmd, args, { cwd: ROOT, detached: true, stdio: ['ignore', fd, fd] });
  child.unref();
  writeFileSync(path.join(dir, `${name}.pid`), String(child.pid));
  return { logFile, pid: child.pid };
}

async function upKafkaNative() {
  const brokers = [`127.0.0.1:${KAFKA_PORT}`];
  if (alive(readPid('kafka'))) {
    log(`Kafka already running (pid ${readPid('kafka')})`);
    await waitFor('Kafka', () => kafkaMetadataOk(brokers), 60_000, path.join(STACK_DIR, 'kafka.log'));
    return brokers;
  }
  if (await tcpOpen('127.0.0.1', KAFKA_PORT)) {
    throw new Error(`port ${KAFKA_PORT} is in use by a process this stack did not start; set STACK_KAFKA_PORT or KAFKA_BROKERS`);
  }
  const { logFile, pid } = await startNativeBroker({ port: KAFKA_PORT, controllerPort: CONTROLLER_PORT, dir: STACK_DIR });
  log(`Kafka started (pid ${pid}), log: ${path.relative(ROOT, logFile)}`);
  return brokers;
}

/**
 * Starts a single-node KRaft broker from the jars in infra/kafka/.cache on the given ports, with its
 * data, pid file (kafka.pid) and log under `dir`; storage is formatted on first use, so starting it
 * again on the same `dir` is a broker restart. Resolves once a metadata request succeeds. Also used
 * by tests that must restart a broker of their own (the chaos run): never the shared one.
 */
export async function startNativeBroker({ port, controllerPort, dir, heap = KAFKA_HEAP }) {
  resolveKafkaJars();
  const brokers = [`127.0.0.1:${port}`];
  const kafkaDir = path.join(dir, 'kafka');
  const dataDir = path.join(kafkaDir, 'data');
  mkdirSync(dataDir, { recursive: true });
  const props = readFileSync(path.join(KAFKA_DIR, 'server.properties.template'), 'utf8')
    .replaceAll('${KAFKA_PORT}', String(port))
    .replaceAll('${CONTROLLER_PORT}', String(controllerPort))
    .replaceAll('${DATA_DIR}', dataDir);
  const propsFile = path.join(kafkaDir, 'server.properties');
  writeFileSync(propsFile, props);
  const cp = `${LIBS_DIR}/*`;
  const jvm = [`-Xms256m`, `-Xmx${heap}`, '-XX:+UseG1GC', '-XX:TieredStopAtLevel=1', '-Djava.awt.headless=true',
    `-Dlog4j2.configurationFile=${path.join(KAFKA_DIR, 'log4j2.yaml')}`];
  if (!existsSync(path.join(dataDir, 'meta.properties'))) {
    log('formatting KRaft storage (once)');
    const r = spawnSync('java', [...jvm, '-cp', cp, 'kafka.tools.StorageTool', 'format', '--ignore-formatted', `--cluster-id=${randomClusterId()}`, '-c', propsFile], { stdio: 'pipe' });
    if (r.status !== 0) throw new Error(`kafka storage format failed:\n${r.stderr.toString()}${r.stdout.toString()}`);
  }
  const { logFile, pid } = startDetached('kafka', 'java', [...jvm, '-cp', cp, 'kafka.Kafka', propsFile], dir);
  await waitFor('Kafka', async () => {
    if (!alive(pid)) throw new Error(`Kafka exited during start-up; see ${logFile}`);
    return kafkaMetadataOk(brokers);
  }, 90_000, logFile);
  return { brokers, pid, logFile };
}

/**
 * A KRaft cluster id: 16 random bytes, URL-safe base64 without padding (what StorageTool random-uuid
 * prints). Never one starting with '-': the tool's argument parser would take it for an option
 * (about one id in 64 did, and the stack failed to start).
 */
export function randomClusterId() {
  for (;;) {
    const bytes = new Uint8Array(16);
    globalThis.crypto.getRandomValues(bytes);
    const id = Buffer.from(bytes).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

async function upRedisNative() {
  const url = `redis://127.0.0.1:${REDIS_PORT}`;
  if (alive(readPid('redis'))) {
    log(`Redis already running (pid ${readPid('redis')})`);
  } else {
    if (await tcpOpen('127.0.0.1', REDIS_PORT)) {
      throw new Error(`port ${REDIS_PORT} is in use by a process this stack did not start; set STACK_REDIS_PORT or REDIS_URL`);
    }
    const dir = path.join(STACK_DIR, 'redis');
    mkdirSync(dir, { recursive: true });
    const { logFile } = startDetached('redis', 'redis-server', ['--port', String(REDIS_PORT), '--bind', '127.0.0.1', '--dir', dir,
      '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--protected-mode', 'yes']);
    log(`Redis starting (pid ${readPid('redis')}), log: ${path.relative(ROOT, logFile)}`);
  }
  await waitFor('Redis', () => redisPing('127.0.0.1', REDIS_PORT), 30_000, path.join(STACK_DIR, 'redis.log'));
  return url;
}

async function upNative() {
  const missing = missingNativeTools();
  if (missing.length > 0) {
    throw new Error(`cannot start the local stack. Either start Docker, set KAFKA_BROKERS and REDIS_URL, or install:\n  - ${missing.join('\n  - ')}`);
  }
  mkdirSync(STACK_DIR, { recursive: true });
  const [brokers, redisUrl] = await Promise.all([upKafkaNative(), upRedisNative()]);
  writeEnv({ KAFKA_BROKERS: brokers.join(','), REDIS_URL: redisUrl }, 'native');
}

async function stopPid(name) {
  const pid = readPid(name);
  if (!alive(pid)) {
    rmSync(pidFile(name), { force: true });
    return;
  }
  log(`stopping ${name} (pid ${pid})`);
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + 20_000;
  while (alive(pid) && Date.now() < deadline) await sleep(200);
  if (alive(pid)) {
    log(`${name} did not stop in 20s: SIGKILL`);
    process.kill(pid, 'SIGKILL');
    while (alive(pid)) await sleep(100);
  }
  rmSync(pidFile(name), { force: true });
}

// ---------------------------------------------------------------- commands

/** Starts (or finds) the stack; returns its endpoints. */
export async function stackUp() {
  if (env.KAFKA_BROKERS && env.REDIS_URL) {
    const brokers = env.KAFKA_BROKERS.split(',');
    const [host, port] = new URL(env.REDIS_URL).host.split(':');
    await waitFor(`Kafka at ${env.KAFKA_BROKERS}`, () => kafkaMetadataOk(brokers), 30_000);
    await waitFor(`Redis at ${env.REDIS_URL}`, () => redisPing(host, Number(port || 6379)), 30_000);
    writeEnv({ KAFKA_BROKERS: env.KAFKA_BROKERS, REDIS_URL: env.REDIS_URL }, 'external');
    log(`using the endpoints from the environment: KAFKA_BROKERS=${env.KAFKA_BROKERS} REDIS_URL=${env.REDIS_URL}`);
  } else {
    const compose = dockerCompose();
    if (compose) await upDocker(compose);
    else await upNative();
  }
  const out = readStackEnv();
  log(`ready: KAFKA_BROKERS=${out.KAFKA_BROKERS} REDIS_URL=${out.REDIS_URL} (written to ${path.relative(ROOT, path.join(STACK_DIR, 'env'))}; logs in ${path.relative(ROOT, STACK_DIR)}/)`);
  return { kafkaBrokers: out.KAFKA_BROKERS, redisUrl: out.REDIS_URL, mode: out.STACK_MODE };
}

export async function stackDown() {
  const current = readStackEnv();
  if (current?.STACK_MODE === 'docker') {
    const compose = dockerCompose();
    if (compose) downDocker(compose);
  }
  await Promise.all([stopPid('kafka'), stopPid('redis')]);
  rmSync(path.join(STACK_DIR, 'env'), { force: true });
  log('stopped');
}

export function stackStatus() {
  for (const name of ['kafka', 'redis']) {
    const pid = readPid(name);
    console.log(`${name}: ${alive(pid) ? `running (pid ${pid})` : 'not running'}`);
  }
  const e = readStackEnv();
  if (e) console.log(`env: KAFKA_BROKERS=${e.KAFKA_BROKERS} REDIS_URL=${e.REDIS_URL} (${e.STACK_MODE})`);
}

const isMain = process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const cmd = process.argv[2];
  // `--cluster` (or STACK_TOPOLOGY=cluster): the three-broker Kafka and Redis Cluster of cluster.mjs.
  // Loaded without a top-level await: cluster.mjs imports this module, which must finish first.
  const clustered = process.argv.includes('--cluster') || env.STACK_TOPOLOGY === 'cluster';
  const commands = clustered
    ? import('./cluster.mjs').then((c) => ({ up: c.clusterUp, down: c.clusterDown, status: c.clusterStatus }))
    : Promise.resolve({ up: stackUp, down: stackDown, status: stackStatus });
  commands
    .then((all) => {
      const run = all[cmd];
      if (!run) {
        console.error('usage: node infra/stack/stack.mjs up|down|status [--cluster]');
        process.exit(2);
      }
      return run();
    })
    .then(
      () => process.exit(0),
      (e) => {
        console.error(`[stack] ${e instanceof Error ? e.message : String(e)}`);
        process.exit(1);
      },
    );
}
