import { GenericContainer, Wait, getContainerRuntimeClient, type StartedTestContainer } from 'testcontainers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../services/core/logger.js';
import { QdrantVectorStore } from '../../services/adapters/vector-store/qdrant-vector-store.js';
import { describeVectorStoreContract } from './vector-store.contract.js';

// Same image as docker-compose.yml: the server minor version must stay near the client's.
const IMAGE = 'qdrant/qdrant:v1.18.0';

async function dockerAnswers(): Promise<boolean> {
  try {
    await getContainerRuntimeClient();
    return true;
  } catch {
    return false;
  }
}

const configuredUrl = process.env.QDRANT_URL;
const enabled = configuredUrl !== undefined && configuredUrl !== '' ? true : await dockerAnswers();
if (!enabled) console.warn('Qdrant contract suite did not run: QDRANT_URL is not set and no Docker engine answers');

describe.runIf(enabled)('Qdrant', () => {
  let container: StartedTestContainer | undefined;
  let url = configuredUrl ?? '';

  beforeAll(async () => {
    if (url !== '') return;
    container = await new GenericContainer(IMAGE).withExposedPorts(6333).withWaitStrategy(Wait.forHttp('/readyz', 6333)).start();
    url = `http://${container.getHost()}:${container.getMappedPort(6333)}`;
  }, 180_000);

  afterAll(async () => {
    await container?.stop();
  });

  describeVectorStoreContract('qdrant', () => new QdrantVectorStore({ url, logger: silentLogger() }));

  it('reports an unreachable server as STORE_UNAVAILABLE (retryable)', async () => {
    const store = new QdrantVectorStore({ url: 'http://127.0.0.1:1', logger: silentLogger(), timeoutMs: 2_000 });
    await expect(store.start()).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE', retryable: true });
  });
});
