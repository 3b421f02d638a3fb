import avsc from 'avsc';
import type { Schema, Type } from 'avsc';
import { InterestStreamError } from '../../domain/errors.js';
import { fingerprintBytes, frameConfluent, frameSingleObject, parseFrame, rabinFingerprint64 } from './framing.js';

type Resolver = ReturnType<Type['createResolver']>;

/** A known writer schema; `resolver` is undefined when it is the reader schema itself. */
interface WriterEntry {
  readonly type: Type;
  readonly fingerprint: string;
  readonly resolver: Resolver | undefined;
}

export interface EncodeOptions {
  /** Write Confluent framing with this schema id instead of single-object encoding (config SCHEMA_REGISTRY_ID). */
  readonly schemaRegistryId?: number | undefined;
}

function toType(schema: Schema | Type): Type {
  return avsc.Type.isType(schema) ? (schema as Type) : avsc.Type.forSchema(schema as Schema);
}

/**
 * The Parsing Canonical Form of a schema (Avro spec): full names, only the attributes that affect
 * parsing, in the spec's order, no whitespace. avsc's `schema()` without options emits exactly
 * that; the unit tests hold it to the Avro project's reference vectors.
 */
export function parsingCanonicalForm(schema: Schema | Type): string {
  return JSON.stringify(toType(schema).schema());
}

/** CRC-64-AVRO fingerprint of a schema's Parsing Canonical Form, as single-object encoding needs it. */
export function schemaFingerprint(schema: Schema | Type): bigint {
  return rabinFingerprint64(parsingCanonicalForm(schema));
}

/**
 * Encodes values of one reader schema and decodes messages written with any registered writer
 * schema, resolving them against the reader (added fields with defaults, unknown enum symbols
 * mapped to the enum default). Build one per schema and reuse it: resolvers are cached.
 */
export class AvroCodec<T> {
  readonly type: Type;
  private readonly header: Buffer;
  private readonly byFingerprint = new Map<string, WriterEntry>();
  private readonly byRegistryId = new Map<number, WriterEntry>();

  constructor(readerSchema: Schema | Type) {
    this.type = toType(readerSchema);
    this.header = fingerprintBytes(schemaFingerprint(this.type));
    this.byFingerprint.set(this.header.toString('hex'), { type: this.type, fingerprint: this.header.toString('hex'), resolver: undefined });
  }

  /** Full name of the reader schema, e.g. `dev.intereststream.InteractionEvent`. */
  get name(): string {
    return this.type.name ?? this.type.typeName;
  }

  /** The reader schema's fingerprint as 16 hex digits in wire (little-endian) order. */
  get fingerprint(): string {
    return this.header.toString('hex');
  }

  /**
   * Makes messages written with `schema` decodable: by its fingerprint always, and by `registryId`
   * when given (Confluent framing). Throws INVALID_INPUT when the schema cannot be resolved against
   * the reader or the id already names a different schema. Returns the fingerprint (hex, wire order).
   */
  registerWriterSchema(schema: Schema | Type, registryId?: number): string {
    const type = toType(schema);
    const fingerprint = fingerprintBytes(schemaFingerprint(type)).toString('hex');
    let entry = this.byFingerprint.get(fingerprint);
    if (entry === undefined) {
      entry = { type, fingerprint, resolver: this.resolverFor(type) };
      this.byFingerprint.set(fingerprint, entry);
    }
    if (registryId !== undefined) this.bindRegistryId(registryId, entry);
    return fingerprint;
  }

  /** Avro-encodes `value` with single-object framing, or Confluent framing when a schema id is given. */
  encode(value: T, opts: EncodeOptions = {}): Buffer {
    let body: Buffer;
    try {
      body = this.type.toBuffer(value);
    } catch (e) {
      throw new InterestStreamError('INVALID_EVENT', `cannot encode as ${this.name}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
    if (opts.schemaRegistryId === undefined) return frameSingleObject(this.header, body);
    const framed = frameConfluent(opts.schemaRegistryId, body);
    // Writing under an id declares that the id names the reader schema, so this process can read its own output.
    if (!this.byRegistryId.has(opts.schemaRegistryId)) this.registerWriterSchema(this.type, opts.schemaRegistryId);
    return framed;
  }

  /** Decodes a framed message into the reader's shape. Throws DECODE_FAILED saying why. */
  decode(bytes: Buffer): T {
    const frame = parseFrame(bytes);
    const entry = frame.framing === 'confluent' ? this.byRegistryId.get(frame.schemaId) : this.byFingerprint.get(frame.fingerprint);
    if (entry === undefined) {
      throw frame.framing === 'confluent'
        ? new InterestStreamError('DECODE_FAILED', `unknown schema id ${frame.schemaId} for ${this.name}`, { details: { schemaId: frame.schemaId } })
        : new InterestStreamError('DECODE_FAILED', `unknown fingerprint ${frame.fingerprint} for ${this.name}: writer schema not registered`, {
            details: { fingerprint: frame.fingerprint },
          });
    }
    try {
      return this.type.fromBuffer(frame.body, entry.resolver) as T;
    } catch (e) {
      const reason = e instanceof Error ? e.message : String(e);
      throw new InterestStreamError('DECODE_FAILED', `bad Avro data for ${this.name}: ${reason}`, { cause: e, details: { fingerprint: entry.fingerprint } });
    }
  }

  private resolverFor(writer: Type): Resolver {
    try {
      return this.type.createResolver(writer);
    } catch (e) {
      const reason = e instanceof Error ? e.message : String(e);
      throw new InterestStreamError('INVALID_INPUT', `writer schema ${writer.name ?? writer.typeName} cannot be read as ${this.name}: ${reason}`, { cause: e });
    }
  }

  private bindRegistryId(registryId: number, entry: WriterEntry): void {
    const bound = this.byRegistryId.get(registryId);
    if (bound !== undefined && bound.fingerprint !== entry.fingerprint) {
      throw new InterestStreamError('INVALID_INPUT', `schema id ${registryId} already names a different ${this.name} writer schema (${bound.fingerprint})`);
    }
    this.byRegistryId.set(registryId, entry);
  }
}
