import { readFileSync } from 'node:fs';

/** The environment configuration is read from (process.env in production, a literal in tests). */
export type Env = Readonly<Record<string, string | undefined>>;

/**
 * Reads typed values out of the environment for the configuration sections. A bad value is noted
 * in `problems` and replaced by its default, so every section is read to the end and loadConfig can
 * list every problem of every section in one error.
 */
export class Reader {
  readonly problems: string[] = [];
  constructor(private readonly env: Env) {}

  str(name: string, def: string): string {
    const v = this.env[name];
    return v === undefined || v === '' ? def : v;
  }

  optional(name: string): string | undefined {
    const v = this.env[name];
    return v === undefined || v === '' ? undefined : v;
  }

  num(name: string, def: number, check: (n: number) => boolean, rule: string): number {
    const raw = this.env[name];
    if (raw === undefined || raw === '') return def;
    const n = Number(raw);
    if (!Number.isFinite(n) || !check(n)) {
      this.problems.push(`${name}=${JSON.stringify(raw)}: must be ${rule}`);
      return def;
    }
    return n;
  }

  int(name: string, def: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
    return this.num(name, def, (n) => Number.isInteger(n) && n >= min && n <= max, `an integer from ${min} to ${max}`);
  }

  /** An integer that has no default: undefined when the variable is unset. */
  optionalInt(name: string, min: number, max?: number): number | undefined {
    return this.optional(name) === undefined ? undefined : this.int(name, 0, min, max);
  }

  bool(name: string, def: boolean): boolean {
    const raw = this.env[name];
    if (raw === undefined || raw === '') return def;
    if (['true', '1', 'yes'].includes(raw.toLowerCase())) return true;
    if (['false', '0', 'no'].includes(raw.toLowerCase())) return false;
    this.problems.push(`${name}=${JSON.stringify(raw)}: must be true or false`);
    return def;
  }

  oneOf<T extends string>(name: string, def: T, allowed: readonly T[]): T {
    const raw = this.str(name, def);
    if (!(allowed as readonly string[]).includes(raw)) {
      this.problems.push(`${name}=${JSON.stringify(raw)}: must be one of ${allowed.join(', ')}`);
      return def;
    }
    return raw as T;
  }

  /**
   * A secret given inline (`name`) or as a file (`fileName`, e.g. a mounted secret) whose content,
   * trailing newline removed, is the value. Setting both is a problem; so is an unreadable file.
   */
  secret(name: string, fileName: string): string | undefined {
    const inline = this.optional(name);
    const file = this.optional(fileName);
    if (file === undefined) return inline;
    if (inline !== undefined) this.problems.push(`${name} and ${fileName}: set one, not both`);
    try {
      return readFileSync(file, 'utf8').replace(/\r?\n$/, '');
    } catch (e) {
      this.problems.push(`${fileName}=${JSON.stringify(file)}: cannot be read (${fileProblem(e)})`);
      return undefined;
    }
  }
}

/** Why a file could not be read, as its errno code (ENOENT, EACCES…). */
export function fileProblem(e: unknown): string {
  return (e as NodeJS.ErrnoException).code ?? String(e);
}
