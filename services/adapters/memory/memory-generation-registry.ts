import { InterestStreamError } from '../../domain/errors.js';
import type { GenerationInfo, GenerationRegistry } from '../../domain/ports/index.js';

/**
 * The GenerationRegistry fake for unit tests: descriptions kept as the JSON the Redis adapter
 * stores (so each read is a copy), the first registration of a name winning, and one pointer.
 * Passes test/contracts/generation-registry.contract.ts alongside RedisGenerationRegistry.
 */
export class InMemoryGenerationRegistry implements GenerationRegistry {
  private readonly descriptions = new Map<string, string>();
  private pointer: string | null = null;

  async register(info: GenerationInfo): Promise<GenerationInfo> {
    if (!this.descriptions.has(info.name)) this.descriptions.set(info.name, JSON.stringify(info));
    return (await this.get(info.name))!;
  }

  async get(name: string): Promise<GenerationInfo | undefined> {
    const raw = this.descriptions.get(name);
    return raw === undefined ? undefined : (JSON.parse(raw) as GenerationInfo);
  }

  async list(): Promise<GenerationInfo[]> {
    return [...this.descriptions.values()].map((raw) => JSON.parse(raw) as GenerationInfo).sort((a, b) => a.createdAt - b.createdAt);
  }

  async active(): Promise<string | null> {
    return this.pointer;
  }

  async activate(name: string): Promise<void> {
    if (!this.descriptions.has(name)) {
      throw new InterestStreamError('NOT_FOUND', `generation "${name}" is unknown; start it with: interest-stream ingest --generation ${name}`);
    }
    this.pointer = name;
  }

  async remove(name: string): Promise<void> {
    this.descriptions.delete(name);
  }
}
