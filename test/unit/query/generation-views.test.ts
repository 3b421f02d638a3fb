import { describe, expect, it } from 'vitest';
import { InterestStreamError } from '../../../services/domain/errors.js';
import { ActiveGenerationViews, type GenerationView } from '../../../services/query/generation-views.js';

/** A view that only carries its name (what these rules look at). */
const viewOf = (name: string) => ({ name }) as GenerationView;

/** The pointer, the registered generations and every view built, under the test's control. */
function setup(fallback = 'g0') {
  const world = {
    pointer: null as string | null,
    pointerError: undefined as Error | undefined,
    registered: [] as string[],
    built: [] as string[],
    failBuild: new Set<string>(),
  };
  const views = new ActiveGenerationViews(
    async () => {
      if (world.pointerError) throw world.pointerError;
      return world.pointer;
    },
    fallback,
    async (name) => {
      world.built.push(name);
      if (world.failBuild.has(name)) throw new InterestStreamError('STORE_UNAVAILABLE', `cannot open ${name}`);
      return viewOf(name);
    },
    async () => world.registered,
  );
  return { world, views };
}

describe('ActiveGenerationViews', () => {
  it('reads the generation the pointer names on every request, the configured one while there is no pointer, building each view once', async () => {
    const { world, views } = setup();
    expect((await views.current()).name).toBe('g0');
    world.pointer = 'g2';
    expect((await views.current()).name).toBe('g2');
    expect((await views.current()).name).toBe('g2');
    world.pointer = 'g0';
    expect((await views.current()).name).toBe('g0');
    expect(world.built).toEqual(['g0', 'g2']);
  });

  it('builds a view shared by concurrent first requests, and builds again after a failed build', async () => {
    const { world, views } = setup();
    world.pointer = 'g1';
    const [a, b] = await Promise.all([views.current(), views.current()]);
    expect(a).toBe(b);
    expect(world.built).toEqual(['g1']);
    world.pointer = 'g3';
    world.failBuild.add('g3');
    await expect(views.current()).rejects.toThrow('cannot open g3');
    world.failBuild.clear();
    expect((await views.current()).name).toBe('g3');
    expect(world.built).toEqual(['g1', 'g3', 'g3']);
  });

  it('names every other registered generation for an erasure to purge', async () => {
    const { world, views } = setup();
    world.registered = ['g0', 'g1', 'g2'];
    world.pointer = 'g1';
    expect((await views.others()).map((v) => v.name)).toEqual(['g0', 'g2']);
    world.pointer = null;
    expect((await views.others()).map((v) => v.name)).toEqual(['g1', 'g2']);
  });

  it('keeps answering from the last pointer it read while Redis cannot answer (a failover), and fails when it never read one or the error is not retryable', async () => {
    const { world, views } = setup();
    world.pointerError = new InterestStreamError('STORE_UNAVAILABLE', 'failover');
    await expect(views.current()).rejects.toThrow('failover');
    world.pointerError = undefined;
    world.pointer = 'g5';
    expect((await views.current()).name).toBe('g5');
    world.pointerError = new InterestStreamError('STORE_UNAVAILABLE', 'failover');
    world.pointer = 'g6';
    expect((await views.current()).name).toBe('g5');
    world.pointerError = new InterestStreamError('INTERNAL', 'a bug');
    await expect(views.current()).rejects.toThrow('a bug');
    world.pointerError = undefined;
    expect((await views.current()).name).toBe('g6');
  });
});
