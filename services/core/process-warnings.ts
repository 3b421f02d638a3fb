/**
 * Imported first by every entry point (the CLI, the query service, the snapshotter), for its side effect on this process.
 *
 * kafkajs 2.2.4's request queue calls `setTimeout(check, throttledUntil - Date.now())` with
 * `throttledUntil = -1` when nothing is throttled: a negative delay. Node clamps it to 1 ms on every
 * version; from Node 24 it also prints a `TimeoutNegativeWarning` on stderr, in the middle of what a
 * command shows its user. That one warning is dropped here; every other warning passes through.
 */
type EmitWarning = (warning: string | Error, ...rest: unknown[]) => void;

const emit = process.emitWarning.bind(process) as EmitWarning;

function warningType(warning: string | Error, rest: readonly unknown[]): string | undefined {
  if (typeof warning !== 'string') return warning.name;
  const options = rest[0];
  if (typeof options === 'string') return options;
  return (options as { type?: string } | undefined)?.type;
}

process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
  if (warningType(warning, rest) === 'TimeoutNegativeWarning') return;
  emit(warning, ...rest);
}) as typeof process.emitWarning;
