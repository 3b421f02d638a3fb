/**
 * The GenerationRegistry conformance suite: the Redis adapter and the in-memory fake run it
 * unchanged. `make()` gives an empty registry (for Redis: a root prefix of its own).
 */
import { describe, expect, it } from 'vitest';
import type { GenerationInfo, GenerationRegistry } from '../../services/domain/ports/index.js';

/** The description ingest records for generation `name`, created at `createdAt`. */
export function generation(name: string, createdAt: number, over: Partial<GenerationInfo> = {}): GenerationInfo {
  return {
    name,
    createdAt,
    from: 'earliest',
    consumerGroup: `interest-stream-${name}`,
    redisPrefix: `is:${name}`,
    usersCollection: `users_${name}`,
    itemsCollection: 'items',
    alpha: 0.2,
    beta: 0.5,
    ...over,
  };
}

export function describeGenerationRegistryContract(name: string, make: () => GenerationRegistry): void {
  describe(`GenerationRegistry contract: ${name}`, () => {
    it('knows no generation and none active until one is registered and activated', async () => {
      const registry = make();
      expect(await registry.list()).toEqual([]);
      expect(await registry.get('g1')).toBeUndefined();
      expect(await registry.active()).toBeNull();
    });

    it('records a generation once: a later registration gets the first description back', async () => {
      const registry = make();
      const first = generation('g1', 1_000);
      expect(await registry.register(first)).toEqual(first);
      const again = generation('g1', 2_000, { from: '2026-01-01T00:00:00Z', alpha: 0.3 });
      expect(await registry.register(again)).toEqual(first);
      expect(await registry.get('g1')).toEqual(first);
      expect(await registry.list()).toEqual([first]);
    });

    it('lists generations oldest first, whatever order they were registered in', async () => {
      const registry = make();
      const [g1, g2, g3] = [generation('g1', 1_000), generation('g2', 2_000), generation('g3', 3_000)];
      for (const g of [g2, g3, g1]) await registry.register(g);
      expect(await registry.list()).toEqual([g1, g2, g3]);
    });

    it('hands out copies: changing a description read changes nothing kept', async () => {
      const registry = make();
      await registry.register(generation('g1', 1_000));
      const read = (await registry.get('g1')) as { alpha: number };
      read.alpha = 9;
      expect((await registry.get('g1'))!.alpha).toBe(0.2);
    });

    it('activates a registered generation, and switches to another', async () => {
      const registry = make();
      await registry.register(generation('g1', 1_000));
      await registry.register(generation('g2', 2_000));
      await registry.activate('g1');
      expect(await registry.active()).toBe('g1');
      await registry.activate('g2');
      expect(await registry.active()).toBe('g2');
    });

    it('refuses to activate a generation it does not know (NOT_FOUND), keeping the active one', async () => {
      const registry = make();
      await registry.register(generation('g1', 1_000));
      await registry.activate('g1');
      await expect(registry.activate('g9')).rejects.toMatchObject({ code: 'NOT_FOUND', retryable: false });
      expect(await registry.active()).toBe('g1');
    });

    it('forgets a removed generation: not listed, not found, not activatable, and registered anew later', async () => {
      const registry = make();
      const [g1, g2] = [generation('g1', 1_000), generation('g2', 2_000)];
      await registry.register(g1);
      await registry.register(g2);
      await registry.activate('g2');
      await registry.remove('g1');
      await registry.remove('never');
      expect(await registry.list()).toEqual([g2]);
      expect(await registry.get('g1')).toBeUndefined();
      expect(await registry.active()).toBe('g2');
      await expect(registry.activate('g1')).rejects.toMatchObject({ code: 'NOT_FOUND' });
      const reborn = generation('g1', 3_000);
      expect(await registry.register(reborn)).toEqual(reborn);
      expect(await registry.list()).toEqual([g2, reborn]);
    });
  });
}
