import type { InteractionEvent, Watermark } from '../types.js';

/** What the query service needs from the interaction producer: an erasure request, and where the broker put it. */
export interface ErasurePublisher {
  publishAt(event: InteractionEvent): Promise<{ readonly event: InteractionEvent; readonly watermark: Watermark }>;
}
