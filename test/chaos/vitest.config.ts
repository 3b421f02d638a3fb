import { defineConfig } from 'vitest/config';

// The chaos run is a CI step of its own (.ci/steps/chaos.sh), never part of `npm test`: it starts
// its own broker and redis-server (ports 21000-21999) and kills them.
export default defineConfig({
  test: {
    include: ['test/chaos/**/*.test.ts'],
    environment: 'node',
    testTimeout: 600_000,
    hookTimeout: 180_000,
  },
});
