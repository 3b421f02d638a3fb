import { parseArgs } from 'node:util';
import { Partitioners, type IHeaders, type Kafka, type Message } from 'kafkajs';
import type { Config, TopicSettings } from '../core/config.js';
import { InterestStreamError } from '../domain/errors.js';
import type { Logger } from '../core/logger.js';
import { dlqTopic } from '../core/names.js';
import { DLQ_HEADERS } from '../adapters/kafka/dead-letters.js';
import { readDeadLetters, type StoredDeadLetter } from '../adapters/kafka/dlq-reader.js';
import { kafkaForConfig } from '../adapters/kafka/kafka-client.js';
import { REFERENCE_HEADERS, chunkMessages, readMaxMessageBytes, usableBytes } from '../adapters/kafka/sized-sends.js';
import { createProgress } from './progress.js';

export const DLQ_USAGE = `interest-stream dlq list [--reason CODE] [--since TIME] [--items]
interest-stream dlq show <partition>:<offset> [--items]
interest-stream dlq redrive [--reason CODE] [--since TIME] [--items]   re-publish dead letters to their topic`;

/** Header naming the dead letter a re-driven event came from. */
export const REDRIVEN_FROM = 'x-redriven-from';

const OUR_HEADERS = new Set<string>([...Object.values(DLQ_HEADERS), ...Object.values(REFERENCE_HEADERS), REDRIVEN_FROM]);

interface DlqArgs {
  readonly verb: 'list' | 'show' | 'redrive';
  readonly position: string | undefined;
  readonly reason: string | undefined;
  readonly since: number | undefined;
  readonly topic: string;
}

/**
 * `interest-stream dlq list | show | redrive`: inspect dead letters and, once their cause is fixed
 * (the item imported, the producer repaired), re-publish them to the topic they came from. The
 * bytes go back unchanged, so every event keeps its eventId: redriving twice folds once.
 */
export async function runDlq(args: string[], config: Config, logger: Logger, out: (line: string) => void = console.log): Promise<number> {
  const a = parseDlqArgs(args, config);
  const kafka = kafkaForConfig(config, logger);
  const dlq = dlqTopic(a.topic);
  const letters = await readDeadLetters(kafka, dlq, { reason: a.reason, since: a.since });
  if (a.verb === 'list') {
    for (const l of letters) out(`${l.partition}:${l.offset}  ${l.headers[DLQ_HEADERS.failedAt] ?? '?'}  ${l.code}  key=${l.key?.toString() ?? ''}  ${l.headers[DLQ_HEADERS.message] ?? ''}`);
    out(`${letters.length} dead letters in ${dlq}`);
    return 0;
  }
  if (a.verb === 'show') return show(letters, a.position!, out);
  const r = await redrive(kafka, a.topic, letters, logger);
  out(`re-published ${r.sent} dead letters to ${a.topic}; skipped ${r.references} references (too large to have been kept whole)`);
  return 0;
}

function parseDlqArgs(args: string[], config: Pick<TopicSettings, 'interactionsTopic' | 'itemsTopic'>): DlqArgs {
  const { positionals, values } = parseArgs({ args, allowPositionals: true, options: { reason: { type: 'string' }, since: { type: 'string' }, items: { type: 'boolean' } } });
  const [verb, position] = positionals;
  if ((verb !== 'list' && verb !== 'show' && verb !== 'redrive') || (verb === 'show') !== (position !== undefined)) {
    throw new InterestStreamError('INVALID_INPUT', `usage:\n${DLQ_USAGE}`);
  }
  const since = values.since === undefined ? undefined : Date.parse(values.since);
  if (since !== undefined && Number.isNaN(since)) throw new InterestStreamError('INVALID_INPUT', `--since ${JSON.stringify(values.since)}: use an ISO-8601 time`);
  return { verb, position, reason: values.reason, since, topic: values.items === true ? config.itemsTopic : config.interactionsTopic };
}

function show(letters: readonly StoredDeadLetter[], position: string, out: (line: string) => void): number {
  const letter = letters.find((l) => `${l.partition}:${l.offset}` === position);
  if (!letter) throw new InterestStreamError('NOT_FOUND', `no dead letter at ${position} (partition:offset)`);
  out(JSON.stringify({ partition: letter.partition, offset: letter.offset, key: letter.key?.toString() ?? null, headers: letter.headers, valueBytes: letter.value?.length ?? 0, valueBase64: letter.value?.toString('base64') ?? null }, null, 2));
  return 0;
}

/** The original headers, without ours, plus where the event was re-driven from. */
function redrivenHeaders(l: StoredDeadLetter, dlq: string): IHeaders {
  const headers: IHeaders = {};
  for (const [k, v] of Object.entries(l.headers)) if (!OUR_HEADERS.has(k)) headers[k] = v;
  headers[REDRIVEN_FROM] = `${dlq}:${l.partition}:${l.offset}`;
  return headers;
}

async function redrive(kafka: Kafka, topic: string, letters: readonly StoredDeadLetter[], logger: Logger): Promise<{ sent: number; references: number }> {
  const whole = letters.filter((l) => l.headers[REFERENCE_HEADERS.truncated] === undefined);
  const messages: Message[] = whole.map((l) => ({ key: l.key, value: l.value, headers: redrivenHeaders(l, dlqTopic(topic)) }));
  const admin = kafka.admin();
  await admin.connect();
  const limit = usableBytes((await readMaxMessageBytes(admin, [topic]).finally(() => admin.disconnect())).get(topic)!);
  // murmur2 on the original key: each event goes back to its user's partition.
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const progress = createProgress({ label: `redrive ${topic}`, total: messages.length, logger });
  let sent = 0;
  try {
    for (const chunk of chunkMessages(messages, limit)) {
      await producer.send({ topic, messages: chunk });
      sent += chunk.length;
      progress.update(sent);
    }
  } finally {
    progress.stop();
    await producer.disconnect();
  }
  return { sent, references: letters.length - whole.length };
}
