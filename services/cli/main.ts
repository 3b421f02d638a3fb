#!/usr/bin/env node
// First: its side effect on process warnings must precede everything that may set a timer.
import '../core/process-warnings.js';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { kafkaStartupError } from '../adapters/kafka/kafka-client.js';
import { loadConfig, type Config } from '../core/config.js';
import { startTracing } from '../core/tracing.js';
import { isInterestStreamError } from '../domain/errors.js';
import { createRootLogger, type Logger } from '../core/logger.js';
import { SignalTrap } from '../core/lifecycle.js';
import { startQueryService } from '../query/main.js';
import { startSnapshotterProcess } from '../snapshotter/main.js';
import { publishEvents } from './events-publish.js';
import { importCatalogueFile, openInteractionPublisher } from './connections.js';
import { afterCtrlC, demoLogFile, runDemo } from './demo.js';
import { DLQ_USAGE, runDlq } from './dlq-command.js';
import { runEvaluate } from './evaluate-command.js';
import { runGenerate } from './generate-command.js';
import { GENERATION_USAGE, runGeneration } from './generation-command.js';
import { runIngest } from './ingest-command.js';
import { runUserShow } from './user-show.js';
import { assertStackReachable, type StackPart } from './stack-check.js';

const USAGE = `interest-stream <command> [options]

Commands:
  ingest [--generation <name>] [--from earliest|<ISO time>]
                                 fold interaction events into user interest vectors
  snapshotter                    snapshot changed users' interest every SNAPSHOT_INTERVAL_MS and
                                 fold the history topic (trend strategy); /metrics on
                                 SNAPSHOTTER_METRICS_PORT (default 9465)
  query                          serve recommendations over HTTP (QUERY_HTTP_PORT, default 8080)
                                 and gRPC (QUERY_GRPC_PORT, default 50051)
  items import <file.jsonl>      import a catalogue ({"id","vector":[...],"payload":{...}} per line)
  events publish <file.jsonl> [--json]
                                 publish interaction events ({"userId","itemId","type",...} per line);
                                 --json prints {"published","topic","after"}: after is the consistency
                                 token a query may pass as ?after= (read-your-writes)
  generation list|activate|drop  manage generations (replays/backfills):
${GENERATION_USAGE.replace(/^/gm, '    ')}
  user show <userId> [--json]    an operator's view of one user: state, recent items, dislikes,
                                 history and drift
  generate [options]             a synthetic catalogue and drifting user activity (generate --help)
  evaluate --items F (--events F | --topic [name]) [grids]
                                 replay events offline and measure HR@K, NDCG@K, MRR, coverage per
                                 strategy and parameter (evaluate --help)
  demo [--quick] [--no-serve] [--namespace <name>]
                                 a guided run: catalogue, simulated activity, recommendations per strategy
  dlq list|show|redrive          inspect dead letters and re-publish them once the cause is fixed:
${DLQ_USAGE.replace(/^/gm, '    ')}
  help                           this text

Configuration comes from environment variables, documented in services/core/config/.`;

type Command = (args: string[], config: Config, logger: Logger, shutdown: SignalTrap) => Promise<number | 'serve'>;

const commands: Record<string, Command> = {
  ingest: async (args, config, logger, shutdown) => {
    const { values } = parseArgs({ args, options: { generation: { type: 'string' }, from: { type: 'string' } } });
    const cfg = values.generation ? loadConfig({ ...envWithDefaults(), GENERATION: values.generation }) : config;
    const from = values.from === undefined || values.from === 'earliest' ? 'earliest' : parseTime(values.from);
    const stop = await runIngest(cfg, logger, { from });
    shutdown.serve(stop, cfg.shutdownGraceMs);
    return 'serve';
  },
  generation: (args, config, logger) => runGeneration(args, config, logger),
  dlq: (args, config, logger) => runDlq(args, config, logger),
  'user show': (args, config, logger) => runUserShow(args, config, logger),
  snapshotter: async (_args, config, logger, shutdown) => {
    // One process takes its share of snapshot shards and folds the history topic.
    const snapshotter = await startSnapshotterProcess(config, logger);
    shutdown.serve(() => snapshotter.close(), config.shutdownGraceMs);
    return 'serve';
  },
  query: async (_args, config, logger, shutdown) => {
    const service = await startQueryService(config, logger);
    logger.info({ http: service.httpPort, grpc: service.grpcPort }, 'query service listening');
    shutdown.serve(() => service.close(), config.shutdownGraceMs + 5000);
    return 'serve';
  },
  'items import': async (args, config, logger) => {
    const r = await importCatalogueFile(onlyFile(args, 'items import'), config, logger);
    console.log(`imported ${r.imported} items (dimension ${r.dimension})`);
    return 0;
  },
  'events publish': async (args, config, logger) => {
    const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { json: { type: 'boolean' } } });
    const file = onlyFile(positionals, 'events publish');
    const publisher = await openInteractionPublisher(config, logger);
    try {
      const r = await publishEvents({ file, publisher, logger });
      // --json: the consistency token, for `?after=` (read-your-writes; docs/api.md).
      if (values.json) console.log(JSON.stringify({ published: r.events, topic: config.interactionsTopic, after: r.token }));
      else console.log(`published ${r.events} events to ${config.interactionsTopic}`);
      return 0;
    } finally {
      await publisher.close();
    }
  },
  generate: (args, config, logger) => runGenerate(args, config, logger),
  evaluate: (args, config, logger) => runEvaluate(args, config, logger),
  demo: async (args, config, logger, shutdown) => {
    const { values } = parseArgs({ args, options: { quick: { type: 'boolean' }, 'no-serve': { type: 'boolean' }, namespace: { type: 'string' } } });
    const serve = values['no-serve'] !== true;
    console.log(`(the demo's services log to ${demoLogFile(config)})`);
    const out = (line: string): void => console.log(line);
    const stop = await runDemo(config, logger, { quick: values.quick === true, serve, out, ...(values.namespace ? { namespace: values.namespace } : {}) });
    if (!serve) return 0;
    console.log(`\n${afterCtrlC(config)}`);
    shutdown.serve(stop, config.shutdownGraceMs + 5000);
    return 'serve';
  },
};

function onlyFile(args: string[], command: string): string {
  const { positionals } = parseArgs({ args, allowPositionals: true, options: {} });
  if (positionals.length !== 1) throw new UsageError(`${command} needs exactly one file argument`);
  return positionals[0]!;
}

function parseTime(s: string): Date {
  const d = new Date(s);
  if (Number.isNaN(d.getTime())) throw new UsageError(`--from ${JSON.stringify(s)}: use "earliest" or an ISO-8601 time`);
  return d;
}

class UsageError extends Error {}

/** What each command connects to, checked before it starts (`generate` only with --publish). */
function stackNeeds(name: string, args: readonly string[]): StackPart[] {
  if (['ingest', 'snapshotter', 'query', 'demo', 'generation'].includes(name)) return ['kafka', 'redis'];
  if (name === 'events publish' || (name === 'generate' && args.includes('--publish'))) return ['kafka'];
  if (name === 'user show') return ['redis'];
  return [];
}

/** Commands that keep running until a signal; the others are one-shot and die on Ctrl-C as usual. */
const SERVICES = new Set(['ingest', 'query', 'snapshotter', 'demo']);

function envWithDefaults(): Record<string, string | undefined> {
  return { ...stackDefaults(), ...process.env };
}

function stackDefaults(file = path.join(process.cwd(), '.stack', 'env')): Record<string, string> {
  if (!existsSync(file)) return {};
  const out: Record<string, string> = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^(KAFKA_BROKERS|REDIS_URL)=(.+)$/.exec(line.trim());
    if (m) out[m[1]!] = m[2]!;
  }
  return out;
}

function findCommand(argv: string[]): [string, string[]] | undefined {
  const two = argv.slice(0, 2).join(' ');
  if (commands[two]) return [two, argv.slice(2)];
  if (argv[0] && commands[argv[0]]) return [argv[0], argv.slice(1)];
  return undefined;
}

async function main(argv: string[]): Promise<void> {
  if (argv.length === 0 || ['help', '--help', '-h'].includes(argv[0]!)) {
    console.log(USAGE);
    return;
  }
  const found = findCommand(argv);
  if (!found) {
    console.error(`unknown command: ${argv.join(' ')}\n\n${USAGE}`);
    process.exit(2);
  }
  const [name, args] = found;
  // The endpoints of `npm run stack:up` (.stack/env) are defaults; the environment wins. The demo
  // talks to a person: its services log to a file it names, and its terminal shows only its story.
  const config = loadConfig(envWithDefaults());
  const logOptions = { level: config.logLevel, name: `interest-stream ${name}` };
  const logger = name === 'demo' ? createRootLogger(logOptions, pino.destination({ dest: demoLogFile(config), mkdir: true, sync: true })) : createRootLogger(logOptions);
  await assertStackReachable(stackNeeds(name, args), config);
  const stopTracing = await startTracing(config.otlpEndpoint, `interest-stream-${name.replace(' ', '-')}`);
  const shutdown = SERVICES.has(name) ? SignalTrap.install(logger, stopTracing) : undefined;
  const result = await commands[name]!(args, config, logger, shutdown!);
  if (result === 'serve') return;
  await stopTracing();
  process.exit(result);
}

main(process.argv.slice(2)).catch((caught: unknown) => {
  if (caught instanceof UsageError) {
    console.error(`${caught.message}\n\n${USAGE}`);
    process.exit(2);
  }
  const e = kafkaStartupError(caught) ?? caught;
  console.error(isInterestStreamError(e) ? `error ${e.code}: ${e.message}` : e instanceof Error ? (e.stack ?? e.message) : String(e));
  process.exit(1);
});
