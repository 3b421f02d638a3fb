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

describe('layer rules (no-restricted-imports)', () => {
  it('refuse a service importing another service', async () => {
    expect(await layerErrors('services/ingest/x.ts', '../query/use-cases.js')).toEqual([
      `'../query/use-cases.js' import is restricted from being used by a pattern. ${PEERS}`,
    ]);
    // From a sub-folder too, and whichever peer it is.
    const fromSnapshotter = await layerErrors('services/snapshotter/sub/x.ts', '../../ingest/batch-processor.js');
    expect(fromSnapshotter).toHaveLength(1);
    expect(fromSnapshotter[0]).toContain('Layer rule: ingest, snapshotter and query are peers');
  });

  it('refuse the domain importing an adapter, core or a client library', async () => {
    expect(await layerErrors('services/domain/x.ts', '../adapters/redis/redis-client.js')).toEqual([
      `'../adapters/redis/redis-client.js' import is restricted from being used by a pattern. ${DOMAIN}`,
    ]);
    expect(await layerErrors('services/domain/ports/x.ts', '../../core/config.js')).toEqual([
      `'../../core/config.js' import is restricted from being used by a pattern. ${DOMAIN}`,
    ]);
    const kafka = await layerErrors('services/domain/x.ts', 'kafkajs');
    expect(kafka).toHaveLength(1);
    expect(kafka[0]).toContain('Layer rule: services/domain is pure');
  });

  it('refuse an adapter importing a service, and core importing an adapter', async () => {
    expect(await layerErrors('services/adapters/redis/x.ts', '../../snapshotter/shard-run.js')).toEqual([
      `'../../snapshotter/shard-run.js' import is restricted from being used by a pattern. ${ADAPTERS}`,
    ]);
    const core = await layerErrors('services/core/x.ts', '../adapters/kafka/kafka-client.js');
    expect(core).toHaveLength(1);
    expect(core[0]).toContain('Layer rule: services/core (config, codecs, names, lifecycle) imports only core and domain');
  });

  it('allow every import that runs down a floor or stays on its own', async () => {
    expect(await layerErrors('services/query/x.ts', '../domain/filter.js')).toEqual([]);
    expect(await layerErrors('services/query/x.ts', '../adapters/redis/redis-client.js')).toEqual([]);
    expect(await layerErrors('services/query/x.ts', './use-cases.js')).toEqual([]);
    expect(await layerErrors('services/domain/shred/x.ts', '../ports/index.js')).toEqual([]);
    expect(await layerErrors('services/adapters/redis/x.ts', '../../core/names.js')).toEqual([]);
    expect(await layerErrors('services/cli/x.ts', '../query/use-cases.js')).toEqual([]);
  });
});
