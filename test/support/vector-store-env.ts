/**
 * Which vector store the integration tests run against: the embedded store in a directory of the
 * test's own (the default), or — under `npm run test:qdrant` (VECTOR_STORE=qdrant) — the Qdrant
 * server at QDRANT_URL, where every test gets its own collection prefix so that parallel runs on
 * one server never meet.
 */
import path from 'node:path';
import type { Config } from '../../services/core/config.js';

/** The store the run was asked for; refuses a Qdrant run without a server to run it on. */
export function testVectorStore(): 'embedded' | 'qdrant' {
  const wanted = process.env.VECTOR_STORE ?? 'embedded';
  if (wanted !== 'qdrant') return 'embedded';
  if (!process.env.QDRANT_URL) throw new Error('VECTOR_STORE=qdrant: set QDRANT_URL to the Qdrant server the tests should use');
  return 'qdrant';
}

/** Environment selecting the store for one test: `id` is unique to the test, `dir` its own directory. */
export function vectorStoreEnv(id: string, dir: string): Record<string, string> {
  if (testVectorStore() === 'embedded') return { VECTOR_STORE: 'embedded', EMBEDDED_STORE_DIR: path.join(dir, 'vectors') };
  return {
    VECTOR_STORE: 'qdrant',
    QDRANT_URL: process.env.QDRANT_URL!,
    ...(process.env.QDRANT_API_KEY ? { QDRANT_API_KEY: process.env.QDRANT_API_KEY } : {}),
    QDRANT_COLLECTION_PREFIX: `${id.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 48)}_`,
  };
}

/** The environment that selects the same store as `config` (for a child process of a test). */
export function sameStoreEnv(config: Config): Record<string, string> {
  if (config.vectorStore === 'embedded') return { VECTOR_STORE: 'embedded', EMBEDDED_STORE_DIR: config.embeddedStoreDir };
  return {
    VECTOR_STORE: 'qdrant',
    QDRANT_URL: config.qdrantUrl ?? '',
    ...(config.qdrantApiKey ? { QDRANT_API_KEY: config.qdrantApiKey } : {}),
    QDRANT_COLLECTION_PREFIX: config.qdrantCollectionPrefix,
  };
}
