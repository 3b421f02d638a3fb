/**
 * Per-user snapshot claims: who may send a user's snapshot of a window, so that ingest (at a window
 * boundary) and the snapshotters (for idle users) never emit two different records for one
 * (user, window). A pending claim left by a crash is resent as is.
 */

/** The outcome of claiming one user's snapshot for a window. */
export type Claim =
  /** The state moved on since it was read: read it again. */
  | { readonly status: 'moved' }
  /** This window (or a later one) is already snapshotted: later changes wait for the next window. */
  | { readonly status: 'done' }
  /** Nothing changed since the last snapshot. */
  | { readonly status: 'unchanged' }
  /** Send `records`, then confirm `window`; `watermark` is the newest state they carry. */
  | { readonly status: 'send'; readonly records: Buffer; readonly window: number; readonly watermark: string };

export interface SnapshotClaims {
  /**
   * Claims (userId, window) for `owner` if the user's state is still at `watermark` and changed since
   * the last snapshot; `frame` is the framed record of that state (core/history-records.ts frameRecord).
   */
  claim(userId: string, window: number, watermark: string, owner: string, frame: Buffer): Promise<Claim>;
  /** Marks the pending snapshot of `window` as sent, if `owner` still holds the claim. */
  confirm(userId: string, owner: string, window: number): Promise<boolean>;
  /**
   * The latest window each user has a snapshot for, sent or pending (-1 when none): ingest skips
   * the window boundaries a snapshotter already covered.
   */
  snapshotted(userIds: readonly string[]): Promise<Map<string, number>>;
  /** The last window snapshotted for a user, -1 when none (operators and tests). */
  lastWindow(userId: string): Promise<number>;
}
