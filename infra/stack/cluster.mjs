// The cluster stack (`npm run stack:up -- --cluster`, or STACK_TOPOLOGY=cluster): three KRaft
// nodes (each broker and controller; replication factor 3, min.insync.replicas 2) and a Redis
// Cluster of three primaries with one replica each, all on loopback, started and stopped by pid.
// Its state lives in .stack-cluster/ (STACK_CLUSTER_DIR), apart from the single-node stack, so
// both can run at once; .stack-cluster/env names every endpoint.
//
// Ports (STACK_CLUSTER_BASE_PORT, default 25000): brokers base+92..94, controllers base+192..194,
// Redis nodes base+301..306.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { alive, kafkaMetadataOk, randomClusterId, resolveKafkaJars, tcpOpen, waitFor } from './stack.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const env = process.env;
const DIR = path.resolve(ROOT, env.STACK_CLUSTER_DIR ?? '.stack-cluster');
const BASE = Number(env.STACK_CLUSTER_BASE_PORT ?? 25000);
const HEAP = env.STACK_KAFKA_HEAP ?? '384m';
const KAFKA_DIR = path.join(ROOT, 'infra', 'kafka');
const LIBS_DIR = path.join(KAFKA_DIR, '.cache', 'libs');

export const KAFKA_NODES = [1, 2, 3].map((id) => ({ id, name: `kafka-${id}`, port: BASE + 91 + id, controller: BASE + 191 + id }));
export const REDIS_NODES = [1, 2, 3, 4, 5, 6].map((i) => ({ name: `redis-${BASE + 300 + i}`, port: BASE + 300 + i }));

const log = (msg) => console.error(`[stack:cluster] ${msg}`);
const pidFile = (name) => path.join(DIR, `${name}.pid`);

export function clusterPid(name) {
  try {
    const pid = Number(readFileSync(pidFile(name), 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function startDetached(name, cmd, args) {
  const fd = openSync(path.join(DIR, `${name}.log`), 'a');
  const child = spawn(cmd, args, { cwd: ROOT, detached: true, stdio: ['ignore', fd, fd] });
  child.unref();
  writeFileSync(pidFile(name), String(child.pid));
  return child.pid;
}

function brokerProperties(node, dataDir) {
  const voters = KAFKA_NODES.map((n) => `${n.id}@127.0.0.1:${n.controller}`).join(',');
  return [
    'process.roles=broker,controller',
    `node.id=${node.id}`,
    `controller.quorum.voters=${voters}`,
    `listeners=PLAINTEXT://127.0.0.1:${node.port},CONTROLLER://127.0.0.1:${node.controller}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${node.port}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    `log.dirs=${dataDir}`,
    // Every partition on all three brokers; a write needs two in sync, so one broker may be down.
    'default.replication.factor=3',
    'min.insync.replicas=2',
    'offsets.topic.replication.factor=3',
    'offsets.topic.num.partitions=12',
    'transaction.state.log.replication.factor=3',
    'transaction.state.log.min.isr=2',
    'share.coordinator.state.topic.replication.factor=3',
    'share.coordinator.state.topic.min.isr=2',
    'unclean.leader.election.enable=false',
    'group.initial.rebalance.delay.ms=0',
    'num.partitions=12',
    'auto.create.topics.enable=false',
    'num.network.threads=2',
    'num.io.threads=2',
    '',
  ].join('\n');
}

function jvmArgs() {
  return ['-Xms128m', `-Xmx${HEAP}`, '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-Djava.awt.headless=true',
    `-Dlog4j2.configurationFile=${path.join(KAFKA_DIR, 'log4j2.yaml')}`, '-cp', `${LIBS_DIR}/*`];
}

/** Starts one Kafka node (formatting its storage the first time); used by `up` and by fault tests. */
export function startKafkaNode(node) {
  const dir = path.join(DIR, node.name);
  const dataDir = path.join(dir, 'data');
  mkdirSync(dataDir, { recursive: true });
  const props = path.join(dir, 'server.properties');
  writeFileSync(props, brokerProperties(node, dataDir));
  if (!existsSync(path.join(dataDir, 'meta.properties'))) {
    const clusterIdFile = path.join(DIR, 'kafka-cluster-id');
    if (!existsSync(clusterIdFile)) writeFileSync(clusterIdFile, randomClusterId());
    const id = readFileSync(clusterIdFile, 'utf8').trim();
    const r = spawnSync('java', [...jvmArgs(), 'kafka.tools.StorageTool', 'format', '--ignore-formatted', `--cluster-id=${id}`, '-c', props], { stdio: 'pipe' });
    if (r.status !== 0) throw new Error(`kafka storage format of ${node.name} failed:\n${r.stderr.toString()}${r.stdout.toString()}`);
  }
  return startDetached(node.name, 'java', [...jvmArgs(), 'kafka.Kafka', props]);
}

/** Starts one Redis Cluster node; its nodes.conf keeps its identity across restarts. */
export function startRedisNode(node) {
  const dir = path.join(DIR, node.name);
  mkdirSync(dir, { recursive: true });
  return startDetached(node.name, 'redis-server', [
    '--port', String(node.port), '--bind', '127.0.0.1', '--dir', dir, '--cluster-enabled', 'yes',
    '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '2000', '--appendonly', 'yes', '--save', '',
  ]);
}

function redisCli(port, ...args) {
  return spawnSync('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], { encoding: 'utf8' });
}

function clusterOk() {
  return REDIS_NODES.every((n) => /cluster_state:ok/.test(redisCli(n.port, 'CLUSTER', 'INFO').stdout ?? ''));
}

async function upKafka() {
  resolveKafkaJars();
  for (const node of KAFKA_NODES) {
    if (alive(clusterPid(node.name))) continue;
    if (await tcpOpen('127.0.0.1', node.port)) throw new Error(`port ${node.port} is in use by a process this stack did not start`);
    log(`${node.name} starting (pid ${startKafkaNode(node)}) on 127.0.0.1:${node.port}`);
  }
  const brokers = KAFKA_NODES.map((n) => `127.0.0.1:${n.port}`);
  await waitFor('the three Kafka brokers', async () => {
    const { Kafka, logLevel } = await import('kafkajs');
    if (!(await kafkaMetadataOk(brokers))) return false;
    const admin = new Kafka({ clientId: 'stack-probe', brokers, logLevel: logLevel.NOTHING, retry: { retries: 0 } }).admin();
    try {
      await admin.connect();
      return (await admin.describeCluster()).brokers.length === KAFKA_NODES.length;
    } catch {
      return false;
    } finally {
      await admin.disconnect().catch(() => {});
    }
  }, 180_000, DIR);
  return brokers;
}

async function upRedis() {
  for (const node of REDIS_NODES) {
    if (alive(clusterPid(node.name))) continue;
    if (await tcpOpen('127.0.0.1', node.port)) throw new Error(`port ${node.port} is in use by a process this stack did not start`);
    startRedisNode(node);
  }
  await waitFor('the Redis nodes', () => REDIS_NODES.every((n) => (redisCli(n.port, 'PING').stdout ?? '').trim() === 'PONG'), 30_000, DIR);
  if (!clusterOk()) {
    const known = redisCli(REDIS_NODES[0].port, 'CLUSTER', 'INFO').stdout ?? '';
    if (/cluster_known_nodes:1\b/.test(known)) {
      log('joining the Redis nodes: three primaries, one replica each');
      const r = spawnSync('redis-cli', ['--cluster', 'create', ...REDIS_NODES.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', '1', '--cluster-yes'], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`redis-cli --cluster create failed:\n${r.stdout}${r.stderr}`);
    }
    await waitFor('Redis Cluster state ok', () => clusterOk(), 60_000, DIR);
  }
  return REDIS_NODES.map((n) => `127.0.0.1:${n.port}`);
}

export function readClusterEnv() {
  const file = path.join(DIR, 'env');
  if (!existsSync(file)) return undefined;
  const out = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line);
    if (m) out[m[1]] = m[2];
  }
  return out;
}

export async function clusterUp() {
  mkdirSync(DIR, { recursive: true });
  const brokers = await upKafka();
  const redisNodes = await upRedis();
  const values = {
    STACK_MODE: 'native-cluster',
    KAFKA_BROKERS: brokers.join(','),
    KAFKA_CONTROLLERS: KAFKA_NODES.map((n) => `${n.id}@127.0.0.1:${n.controller}`).join(','),
    REDIS_URL: `redis://${redisNodes[0]}`,
    REDIS_CLUSTER: 'true',
    REDIS_NODES: redisNodes.join(','),
  };
  const lines = ['# written by infra/stack/cluster.mjs; source it or let the tests read it', ...Object.entries(values).map(([k, v]) => `${k}=${v}`)];
  writeFileSync(path.join(DIR, 'env'), `${lines.join('\n')}\n`);
  log(`ready: KAFKA_BROKERS=${values.KAFKA_BROKERS} REDIS_URL=${values.REDIS_URL} REDIS_CLUSTER=true (written to ${path.relative(ROOT, path.join(DIR, 'env'))})`);
  return values;
}

async function stopPid(name) {
  const pid = clusterPid(name);
  if (alive(pid)) {
    process.kill(pid, 'SIGTERM');
    for (let i = 0; i < 80 && alive(pid); i++) await new Promise((r) => setTimeout(r, 250));
    if (alive(pid)) process.kill(pid, 'SIGKILL');
  }
  rmSync(pidFile(name), { force: true });
}

export async function clusterDown() {
  await Promise.all([...KAFKA_NODES, ...REDIS_NODES].map((n) => stopPid(n.name)));
  rmSync(path.join(DIR, 'env'), { force: true });
  log('stopped');
}

export function clusterStatus() {
  for (const n of [...KAFKA_NODES, ...REDIS_NODES]) {
    const pid = clusterPid(n.name);
    console.log(`${n.name}: ${alive(pid) ? `running (pid ${pid}) on 127.0.0.1:${n.port}` : 'not running'}`);
  }
}
