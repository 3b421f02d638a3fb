import { randomUUID } from 'node:crypto';
import { readFile, rename, stat, writeFile } from 'node:fs/promises';

/**
 * Aliases live in one small JSON file beside the tables, replaced by rename so that a reader in
 * another process sees the old or the new map, never half of one.
 */
export class AliasFile {
  private cache: { stamp: string; map: Record<string, string> } | undefined;
  constructor(private readonly path: string) {}

  async read(): Promise<Record<string, string>> {
    const s = await stat(this.path).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return undefined;
      throw e;
    });
    if (s === undefined) return {};
    const stamp = `${s.mtimeMs}:${s.size}:${s.ino}`;
    if (this.cache?.stamp !== stamp) this.cache = { stamp, map: JSON.parse(await readFile(this.path, 'utf8')) as Record<string, string> };
    return this.cache.map;
  }

  async update(change: (map: Record<string, string>) => void): Promise<void> {
    const map = { ...(await this.read()) };
    change(map);
    const tmp = `${this.path}.${randomUUID()}.tmp`;
    await writeFile(tmp, JSON.stringify(map));
    await rename(tmp, this.path);
  }
}
