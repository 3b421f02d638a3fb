import type { PopularityStore, UserStateStore } from '../domain/ports.js';
import type { HistoryStore } from './ports.js';
import type { UserSource } from './user-source.js';

/** Everything the use cases read for one generation. */
export interface GenerationView {
  readonly name: string;
  readonly itemsCollection: string;
  readonly userStates: UserStateStore;
  readonly users: UserSource;
  readonly popularity: PopularityStore;
  readonly history: HistoryStore;
}

/** Which generation a request reads. */
export interface GenerationViews {
  current(): Promise<GenerationView>;
}

/**
 * Follows the active-generation pointer: it is read on every request (one small Redis GET), so a
 * request that starts after `generation activate` returns already reads the new generation, and
 * one that started before finishes on the old one. Views are built once per generation.
 */
export class ActiveGenerationViews implements GenerationViews {
  private readonly views = new Map<string, Promise<GenerationView>>();

  constructor(
    private readonly active: () => Promise<string | null>,
    private readonly fallback: string,
    private readonly make: (name: string) => Promise<GenerationView>,
  ) {}

  async current(): Promise<GenerationView> {
    const name = (await this.active()) ?? this.fallback;
    let view = this.views.get(name);
    if (view === undefined) {
      view = this.make(name);
      this.views.set(name, view);
      view.catch(() => this.views.delete(name));
    }
    return view;
  }
}
