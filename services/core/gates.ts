/**
 * Named points in a flow where a test may hold it (test/integration/erasure-races.test.ts forces
 * each erasure race this way). Nothing waits unless a test has set a gate: `pass` is one Map lookup,
 * and the detail is computed only for a gate that is set (ingest passes one on every batch).
 *
 *   erase:purge     the query service published an ERASE and is about to purge (detail: userId)
 *   ingest:batch    ingest is about to fold a batch (detail: the records' keys, as strings)
 *   durable:write   the durable writer is about to write states (detail: their user ids)
 *   snapshot:send   a snapshotter claimed snapshots and is about to send them (detail: their user ids)
 */
export type GateName = 'erase:purge' | 'ingest:batch' | 'durable:write' | 'snapshot:send';

type Gate = (detail: readonly string[]) => Promise<void> | void;

const gates = new Map<GateName, Gate>();

/** Runs the gate set at `name`, if any, with `detail()`; what it returns resolves when it lets the flow go on. */
export function pass(name: GateName, detail: () => readonly string[]): Promise<void> | void {
  const gate = gates.get(name);
  return gate === undefined ? undefined : gate(detail());
}

/** Tests only: sets (or with undefined, removes) the gate at `name`. */
export function setGate(name: GateName, gate: Gate | undefined): void {
  if (gate === undefined) gates.delete(name);
  else gates.set(name, gate);
}
