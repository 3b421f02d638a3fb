import { dirname, join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { findSchemaDir } from '../core/avro/schemas.js';

/**
 * Loads the .proto contracts under `schemas/proto` (found the same way as the Avro schemas, so it
 * works from sources and from dist). Field names stay as written in the .proto (`user_id`), longs
 * become numbers (epoch ms and counts are far below 2^53), and unset fields get their defaults.
 */
export const PROTO_OPTIONS: protoLoader.Options = { keepCase: true, longs: Number, enums: String, defaults: true, oneofs: true };

export function protoDir(): string {
  return join(dirname(findSchemaDir()), 'proto');
}

export interface LoadedProtos {
  readonly recommendations: grpc.ServiceClientConstructor;
  readonly health: grpc.ServiceClientConstructor;
}

interface Namespace {
  [name: string]: Namespace | grpc.ServiceClientConstructor;
}

function pick(root: Namespace, path: string): grpc.ServiceClientConstructor {
  let node: Namespace | grpc.ServiceClientConstructor = root;
  for (const part of path.split('.')) node = (node as Namespace)[part]!;
  return node as grpc.ServiceClientConstructor;
}

/** Loads both services; clients (tests, other services) use the same constructors as the server. */
export function loadProtos(): LoadedProtos {
  const dir = protoDir();
  const definition = protoLoader.loadSync(['recommendations.proto', 'grpc/health/v1/health.proto'], { ...PROTO_OPTIONS, includeDirs: [dir] });
  const root = grpc.loadPackageDefinition(definition) as unknown as Namespace;
  return { recommendations: pick(root, 'interest_stream.v1.Recommendations'), health: pick(root, 'grpc.health.v1.Health') };
}

export const RECOMMENDATIONS_SERVICE = 'interest_stream.v1.Recommendations';
