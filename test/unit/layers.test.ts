/**
 * The layer rules of eslint.config.js (docs/design.md, "The map") fire on the imports they forbid
 * and stay quiet on the ones the floors allow. Linted as text under a path inside services/, so no
 * file is written.
 */
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
let eslint: ESLint;

beforeAll(() => {
  eslint = new ESLint({ cwd: root });
});

/** The layer-rule messages ESLint gives for `specifier` imported from a file at `filePath`. */
async function layerErrors(filePath: string, specifier: string): Promise<string[]> {
  const code = `import type { Thing } from '${specifier}';\nexport type Shared = Thing;\n`;
  const [result] = await eslint.lintText(code, { filePath });
  return result!.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

const PEERS =
  'Layer rule: ingest, snapshotter and query are peers and never import one another (nor the CLI). Move what ingest shares with another service to services/domain (ports, pure rules) or services/core (codecs, names, config), or to services/adapters if it does I/O.';
const DOMAIN =
  'Layer rule: services/domain imports only services/domain (node builtins allowed). Ports, errors and pure rules live here; whatever needs config, codecs or I/O goes in core/ or adapters/ and reaches the domain through a port.';
const ADAPTERS =
  'Layer rule: services/adapters import no service (ingest, snapshotter, query) nor the CLI. The port an adapter implements lives in services/domain/ports; a type or rule it shares with a service goes in services/domain or services/core.';

const CORE = 'Layer rule: services/core (config, codecs, names, lifecycle) imports only core and domain. Code that several services share belongs here or in services/domain; code that does I/O belongs in services/adapters.';
const PURE = 'Layer rule: services/domain is pure: no Kafka, Redis, vector-store, Avro, logging or server library. Translate library types in an adapter (services/adapters) and give the domain plain types.';
const PEERS_SNAPSHOTTER = PEERS.replace('what ingest shares', 'what snapshotter shares');

/** [what, importing file, import, the rule's message]. */
const REFUSED: ReadonlyArray<readonly [string, string, string, string]> = [
  ['a service importing another service', 'services/ingest/x.ts', '../query/use-cases.js', PEERS],
  ['a service importing another from a sub-folder', 'services/snapshotter/sub/x.ts', '../../ingest/batch-processor.js', PEERS_SNAPSHOTTER],
  ['the domain importing an adapter', 'services/domain/x.ts', '../adapters/redis/redis-client.js', DOMAIN],
  ['a port importing core', 'services/domain/ports/x.ts', '../../core/config.js', DOMAIN],
  ['the domain importing a client library', 'services/domain/x.ts', 'kafkajs', PURE],
  ['an adapter importing a service', 'services/adapters/redis/x.ts', '../../snapshotter/shard-run.js', ADAPTERS],
  ['core importing an adapter', 'services/core/x.ts', '../adapters/kafka/kafka-client.js', CORE],
];

/** [importing file, import]: down a floor, or on the same one. */
const ALLOWED: ReadonlyArray<readonly [string, string]> = [
  ['services/query/x.ts', '../domain/filter.js'],
  ['services/query/x.ts', '../adapters/redis/redis-client.js'],
  ['services/query/x.ts', './use-cases.js'],
  ['services/domain/shred/x.ts', '../ports/index.js'],
  ['services/adapters/redis/x.ts', '../../core/names.js'],
  ['services/cli/x.ts', '../query/use-cases.js'],
];

describe('layer rules (no-restricted-imports)', () => {
  it.each(REFUSED)('refuse %s', async (_what, file, specifier, message) => {
    expect(await layerErrors(file, specifier)).toEqual([`'${specifier}' import is restricted from being used by a pattern. ${message}`]);
  });

  it.each(ALLOWED)('allow %s to import %s', async (file, specifier) => {
    expect(await layerErrors(file, specifier)).toEqual([]);
  });
});
