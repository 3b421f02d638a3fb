// Lint rules: typescript-eslint's recommended set plus the few habits the house style asks for.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * The floors of services/ (docs/design.md, "The map"), kept by lint so that no change quietly runs
 * an arrow back up: domain/ (ports, pure rules, errors) on the ground; core/ and adapters/ on it;
 * ingest/, snapshotter/ and query/ side by side, never importing one another; cli/ on top. Imports
 * are relative, so a rule matches `../` (any depth) followed by the forbidden top-level folder.
 */
const SERVICES = ['ingest', 'snapshotter', 'query'];

function upTo(folders) {
  return `^(\\.\\./)+(${folders.join('|')})(/|\\.js$|$)`;
}

function restrict(files, rule) {
  return { files, rules: { 'no-restricted-imports': ['error', { patterns: rule }] } };
}

function layerRules() {
  return [
    restrict(['services/domain/**/*.ts'], [
      {
        regex: upTo(['core', 'adapters', ...SERVICES, 'cli', 'workload', 'publisher']),
        message: 'Layer rule: services/domain imports only services/domain (node builtins allowed). Ports, errors and pure rules live here; whatever needs config, codecs or I/O goes in core/ or adapters/ and reaches the domain through a port.',
      },
      {
        group: ['kafkajs', 'ioredis', '@qdrant/*', '@lancedb/*', 'avsc', 'pino', 'pino-*', 'prom-client', 'fastify', '@fastify/*', '@grpc/*', '@opentelemetry/*'],
        message: 'Layer rule: services/domain is pure: no Kafka, Redis, vector-store, Avro, logging or server library. Translate library types in an adapter (services/adapters) and give the domain plain types.',
      },
    ]),
    restrict(['services/core/**/*.ts'], [
      {
        regex: upTo(['adapters', ...SERVICES, 'cli', 'workload', 'publisher']),
        message: 'Layer rule: services/core (config, codecs, names, lifecycle) imports only core and domain. Code that several services share belongs here or in services/domain; code that does I/O belongs in services/adapters.',
      },
    ]),
    restrict(['services/adapters/**/*.ts'], [
      {
        regex: upTo([...SERVICES, 'cli', 'workload', 'publisher']),
        message: 'Layer rule: services/adapters import no service (ingest, snapshotter, query) nor the CLI. The port an adapter implements lives in services/domain/ports; a type or rule it shares with a service goes in services/domain or services/core.',
      },
    ]),
    ...SERVICES.map((service) =>
      restrict([`services/${service}/**/*.ts`], [
        {
          regex: upTo([...SERVICES.filter((s) => s !== service), 'cli', 'publisher']),
          message: `Layer rule: ingest, snapshotter and query are peers and never import one another (nor the CLI). Move what ${service} shares with another service to services/domain (ports, pure rules) or services/core (codecs, names, config), or to services/adapters if it does I/O.`,
        },
      ]),
    ),
  ];
}

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'infra/kafka/.cache/**', '.stack/**', '.stack-cluster/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'error',
    },
  },
  ...layerRules(),
  {
    // The CLI talks to people on a terminal; tests and benchmarks may print.
    files: ['services/cli/**/*.ts', 'bench/**/*.ts', 'test/**/*.ts', 'infra/**/*.mjs'],
    rules: { 'no-console': 'off' },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: { globals: { Buffer: 'readonly', process: 'readonly', console: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', URL: 'readonly' } },
  },
  {
    // The /ui page runs in a browser.
    files: ['ui/**/*.js'],
    languageOptions: { globals: { document: 'readonly', sessionStorage: 'readonly', fetch: 'readonly', setInterval: 'readonly', URL: 'readonly' } },
  },
);
