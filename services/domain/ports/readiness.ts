/** A named readiness probe: resolves when the dependency answers, rejects otherwise. */
export interface ReadinessProbe {
  readonly name: string;
  check(): Promise<void>;
}
