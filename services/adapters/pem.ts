import { readFileSync } from 'node:fs';
import { InterestStreamError } from '../domain/errors.js';

/** A PEM file a setting names (a CA, a certificate, a key), read once at start; CONFIG_INVALID naming the setting when it cannot be. */
export function readPem(variable: string, file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new InterestStreamError('CONFIG_INVALID', `${variable}=${JSON.stringify(file)}: cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
}
