/**
 * The items a user may not be recommended during one ranked view (the product's default exclusions:
 * seen and disliked), as marks over catalogue positions for the exact rankings and as ids for an
 * ANN index.
 */
import type { UserState } from '../types.js';
import type { CatalogueIndex } from './catalogue-index.js';

export class ExclusionMarks {
  /** 1 for an excluded catalogue position. */
  readonly marks: Uint8Array;
  private marked: number[] = [];
  private idSet: Set<string> | undefined;
  private state: UserState | undefined;

  constructor(private readonly catalogue: CatalogueIndex) {
    this.marks = new Uint8Array(catalogue.size);
  }

  /** Marks the user's seen and disliked items (those in the catalogue). */
  mark(state: UserState): void {
    this.state = state;
    for (const list of [state.seen, state.disliked]) {
      for (const id of list) {
        const i = this.catalogue.indexOf(id);
        if (i !== undefined && this.marks[i] === 0) {
          this.marks[i] = 1;
          this.marked.push(i);
        }
      }
    }
  }

  /** The excluded ids, built on first use. */
  ids(): ReadonlySet<string> {
    this.idSet ??= new Set([...(this.state?.seen ?? []), ...(this.state?.disliked ?? [])]);
    return this.idSet;
  }

  clear(): void {
    for (const i of this.marked) this.marks[i] = 0;
    this.marked = [];
    this.idSet = undefined;
    this.state = undefined;
  }
}
