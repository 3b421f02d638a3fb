import type { Claim, SnapshotClaims } from '../../domain/ports/index.js';

/** One user's claim row, as the Redis adapter's hash keeps it (see redis-snapshot-claims.ts). */
interface ClaimRow {
  /** Last window snapshotted, and the state watermark it carried. */
  lw: number;
  lwm: string;
  /** The pending claim: window, watermark, framed records, owner. */
  pending?: { window: number; watermark: string; records: Buffer; owner: string };
}

/**
 * The SnapshotClaims fake for unit tests: the Redis adapter's claim script, step for step, over a
 * map. `watermarkOf` reads the user's current state watermark as stored ('' for no state), e.g.
 * from an InMemoryUserStateStore; each claim runs without an await, so it is atomic with that read
 * as the script is. Passes test/contracts/snapshot-claims.contract.ts alongside RedisSnapshotClaims.
 */
export class InMemorySnapshotClaims implements SnapshotClaims {
  private readonly rows = new Map<string, ClaimRow>();

  constructor(private readonly watermarkOf: (userId: string) => string) {}

  async claim(userId: string, window: number, watermark: string, owner: string, frame: Buffer): Promise<Claim> {
    const cur = this.watermarkOf(userId);
    if (cur !== watermark) return { status: 'moved' };
    const row = this.rows.get(userId) ?? { lw: -1, lwm: '' };
    const p = row.pending;
    if (p !== undefined && p.window > window) return { status: 'done' };
    if (p !== undefined && p.window === window) return this.resend(row, p, owner);
    // A pending claim of an earlier window is carried in front of this one, never dropped.
    const [lw, lwm] = p === undefined ? [row.lw, row.lwm] : [p.window, p.watermark];
    // The state already snapshotted (e.g. marked again by a redelivered batch): nothing to send, and its mark may go.
    if (lwm === cur && p === undefined) return { status: 'unchanged' };
    if (lw >= window) return { status: 'done' };
    if (lwm === cur) return this.resend(row, p!, owner);
    const records = Buffer.concat([p?.records ?? Buffer.alloc(0), frame]);
    this.rows.set(userId, { ...row, pending: { window, watermark: cur, records, owner } });
    return { status: 'send', records, window, watermark: cur };
  }

  async confirm(userId: string, owner: string, window: number): Promise<boolean> {
    const row = this.rows.get(userId);
    const p = row?.pending;
    if (row === undefined || p === undefined || p.window !== window || p.owner !== owner) return false;
    this.rows.set(userId, { lw: p.window, lwm: p.watermark });
    return true;
  }

  async snapshotted(userIds: readonly string[]): Promise<Map<string, number>> {
    return new Map(userIds.map((id) => {
      const row = this.rows.get(id);
      return [id, Math.max(row?.lw ?? -1, row?.pending?.window ?? -1)];
    }));
  }

  async lastWindow(userId: string): Promise<number> {
    return this.rows.get(userId)?.lw ?? -1;
  }

  /** The pending claim, resent byte for byte, now owned by `owner`. */
  private resend(row: ClaimRow, p: NonNullable<ClaimRow['pending']>, owner: string): Claim {
    p.owner = owner;
    return { status: 'send', records: p.records, window: p.window, watermark: p.watermark };
  }
}
