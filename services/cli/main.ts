#!/usr/bin/env node
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig, type Config } from '../core/config.js';
import { isInterestStreamError } from '../core/errors.js';
import { createRootLogger, type Logger } from '../core/logger.js';
import { startQueryService } from '../query/main.js';
import { publishEvents } from './events-publish.js';
import { importCatalogueFile, openInteractionPublisher } from './connections.js';
import { runDemo } from './demo.js';
import { runGenerate } from './generate-command.js';
import { GENERATION_USAGE, runGeneration } from './generation-command.js';
import { runIngest } from './ingest-command.js';

const USAGE = `interest-stream <command> [options]

Commands:
  ingest [--generation <name>] [--from earliest|<ISO time>]
                                 fold interaction events into user interest vectors
  query                          serve recommendations over HTTP (QUERY_HTTP_PORT, default 8080)
                                 and gRPC (QUERY_GRPC_PORT, default 50051)
  items import <file.jsonl>      import a catalogue ({"id","vector":[...],"payload":{...}} per line)
  events publish <file.jsonl>    publish interaction events ({"userId","itemId","type",...} per line)
  generation list|activate|drop  manage generations (replays/backfills):
${GENERATION_USAGE.replace(/^/gm, '    ')}
  generate [options]             a synthetic catalogue and drifting user activity (generate --help)
  demo [--quick] [--no-serve]    a guided run: catalogue, simulated activity, recommendations per strategy
  help                           this text

Configuration comes from environment variables, documented in services/core/config.ts.`;

type Command = (args: string[], config: Config, logger: Logger) => Promise<number | 'serve'>;

const commands: Record<string, Command> = {
  ingest: async (args, config, logger) => {
    const { values } = parseArgs({ args, options: { generation: { type: 'string' }, from: { type: 'string' } } });
    const cfg = values.generation ? loadConfig({ ...envWithDefaults(), GENERATION: values.generation }) : config;
    const from = values.from === undefined || values.from === 'earliest' ? 'earliest' : parseTime(values.from);
    const stop = await runIngest(cfg, logger, { from });
    onShutdown(logger, cfg.shutdownGraceMs, stop);
    return 'serve';
  },
  generation: (args, config, logger) => runGeneration(args, config, logger),
  query: async (_args, config, logger) => {
    const service = await startQueryService(config, logger);
    logger.info({ http: service.httpPort, grpc: service.grpcPort }, 'query service listening');
    onShutdown(logger, config.shutdownGraceMs + 5000, () => service.close());
    return 'serve';
  },
  'items import': async (args, config, logger) => {
    const r = await importCatalogueFile(onlyFile(args, 'items import'), config, logger);
    console.log(`imported ${r.imported} items (dimension ${r.dimension})`);
    return 0;
  },
  'events publish': async (args, config, logger) => {
    const file = onlyFile(args, 'events publish');
    const publisher = await openInteractionPublisher(config, logger);
    try {
      const n = await publishEvents({ file, publisher, logger });
      console.log(`published ${n} events to ${config.interactionsTopic}`);
      return 0;
    } finally {
      await publisher.close();
    }
  },
  generate: (args, config, logger) => runGenerate(args, config, logger),
  demo: async (args, config, logger) => {
    const { values } = parseArgs({ args, options: { quick: { type: 'boolean' }, 'no-serve': { type: 'boolean' } } });
    const serve = values['no-serve'] !== true;
    const stop = await runDemo(config, logger, { quick: values.quick === true, serve, out: (line) => console.log(line) });
    if (!serve) return 0;
    console.log('\nCtrl-C stops everything the demo started.');
    onShutdown(logger, config.shutdownGraceMs + 5000, stop);
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

/** SIGTERM/SIGINT: close in reverse start order within the grace period, then exit. */
function onShutdown(logger: Logger, graceMs: number, close: () => Promise<void>): void {
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      logger.error({ graceMs }, 'shutdown grace period over; exiting');
      process.exit(1);
    }, graceMs);
    timer.unref();
    close().then(
      () => process.exit(0),
      (e: Error) => {
        logger.error({ err: e.message }, 'error during shutdown');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
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
  // talks to a person, so its logs stay quiet unless LOG_LEVEL says otherwise.
  const config = loadConfig({ ...(name === 'demo' ? { LOG_LEVEL: 'warn' } : {}), ...envWithDefaults() });
  const logger = createRootLogger({ level: config.logLevel, name: `interest-stream ${name}` });
  const result = await commands[name]!(args, config, logger);
  if (result !== 'serve') process.exit(result);
}

main(process.argv.slice(2)).catch((e: unknown) => {
  if (e instanceof UsageError) {
    console.error(`${e.message}\n\n${USAGE}`);
    process.exit(2);
  }
  console.error(isInterestStreamError(e) ? `error ${e.code}: ${e.message}` : e instanceof Error ? (e.stack ?? e.message) : String(e));
  process.exit(1);
});
