/**
 * A native single-node Kafka (the stack's own jars, KRaft) with a SASL_SSL listener, for the
 * security tests: a CA and a server certificate for 127.0.0.1 are made at start with openssl, the
 * user `alice` is known to PLAIN (JAAS) and to SCRAM-SHA-256/512 (added when the storage is
 * formatted). Stopped by pid; its directory is removed.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { eventually } from './eventually.js';
import { killAndWait } from './processes.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const LIBS = path.join(ROOT, 'infra', 'kafka', '.cache', 'libs');
export const SASL_USER = 'alice';
export const SASL_PASSWORD = 'alice-secret-0451';
const STORE_PASSWORD = 'changeit';

function run(cmd: string, args: string[], cwd: string): void {
  const r = spawnSync(cmd, args, { cwd, stdio: 'pipe' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed:\n${r.stderr.toString()}${r.stdout.toString()}`);
}

/** CA, server key and certificate (SAN IP:127.0.0.1) and a PKCS#12 keystore for the broker. */
function makeCertificates(dir: string): { caFile: string; keystore: string } {
  run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=interest-stream test CA'], dir);
  run('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1'], dir);
  writeFileSync(path.join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1\n');
  run('openssl', ['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'san.ext'], dir);
  run('openssl', ['pkcs12', '-export', '-in', 'server.pem', '-inkey', 'server.key', '-certfile', 'ca.pem', '-name', 'kafka', '-out', 'server.p12', '-passout', `pass:${STORE_PASSWORD}`], dir);
  return { caFile: path.join(dir, 'ca.pem'), keystore: path.join(dir, 'server.p12') };
}

function properties(dir: string, keystore: string, ports: { sasl: number; internal: number; controller: number }): string {
  const jaas = (module: string, extra = '') => `org.apache.kafka.common.security.${module} required${extra};`;
  return [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@127.0.0.1:${ports.controller}`,
    `listeners=SASL_SSL://127.0.0.1:${ports.sasl},INTERNAL://127.0.0.1:${ports.internal},CONTROLLER://127.0.0.1:${ports.controller}`,
    `advertised.listeners=SASL_SSL://127.0.0.1:${ports.sasl},INTERNAL://127.0.0.1:${ports.internal}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=INTERNAL',
    'listener.security.protocol.map=SASL_SSL:SASL_SSL,INTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512',
    `listener.name.sasl_ssl.plain.sasl.jaas.config=${jaas('plain.PlainLoginModule', ` user_${SASL_USER}="${SASL_PASSWORD}"`)}`,
    `listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config=${jaas('scram.ScramLoginModule')}`,
    `listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=${jaas('scram.ScramLoginModule')}`,
    'ssl.keystore.type=PKCS12',
    `ssl.keystore.location=${keystore}`,
    `ssl.keystore.password=${STORE_PASSWORD}`,
    `ssl.key.password=${STORE_PASSWORD}`,
    `log.dirs=${path.join(dir, 'data')}`,
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=1',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    'group.initial.rebalance.delay.ms=0',
    'auto.create.topics.enable=false',
    'num.network.threads=2',
    'num.io.threads=2',
    '',
  ].join('\n');
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port }, () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

export class SaslSslBroker {
  readonly dir = mkdtempSync(path.join(tmpdir(), 'sasl-ssl-broker-'));
  caFile = '';
  private child: ChildProcess | undefined;

  constructor(readonly ports = { sasl: 26901, internal: 26902, controller: 26903 }) {}

  get bootstrap(): string {
    return `127.0.0.1:${this.ports.sasl}`;
  }

  async start(): Promise<void> {
    for (const p of Object.values(this.ports)) if (await portOpen(p)) throw new Error(`port ${p} is in use; the SASL_SSL test broker needs 26901-26903`);
    const { caFile, keystore } = makeCertificates(this.dir);
    this.caFile = caFile;
    const props = path.join(this.dir, 'server.properties');
    writeFileSync(props, properties(this.dir, keystore, this.ports));
    const jvm = ['-Xms128m', '-Xmx384m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', `-Dlog4j2.configurationFile=${path.join(ROOT, 'infra', 'kafka', 'log4j2.yaml')}`, '-cp', `${LIBS}/*`];
    const scram = (m: string) => ['--add-scram', `${m}=[name=${SASL_USER},password=${SASL_PASSWORD}]`];
    run('java', [...jvm, 'kafka.tools.StorageTool', 'format', '--cluster-id=c2FzbC1zc2wtdGVzdDEyMw', '-c', props, ...scram('SCRAM-SHA-256'), ...scram('SCRAM-SHA-512')], this.dir);
    const log = openSync(path.join(this.dir, 'kafka.log'), 'a');
    this.child = spawn('java', [...jvm, 'kafka.Kafka', props], { cwd: this.dir, stdio: ['ignore', log, log] });
    await eventually(async () => {
      if (this.child?.exitCode !== null) throw new Error(`the SASL_SSL broker exited; see ${path.join(this.dir, 'kafka.log')}`);
      return portOpen(this.ports.sasl);
    }, { timeoutMs: 120_000, intervalMs: 500 });
  }

  async stop(): Promise<void> {
    await killAndWait(this.child);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
