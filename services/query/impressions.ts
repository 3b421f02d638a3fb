/**
 * Recording what was served (IMPRESSIONS_TOPIC), for attribution: every recommendation answer gets
 * an `impressionId` and goes to the impression sink with the strategy, bucket and items served, so
 * a later view of an item can be joined to the answer (and the A/B bucket) that showed it.
 */
import { randomUUID } from 'node:crypto';
import type { ImpressionSink } from '../domain/ports/index.js';
import { QueryUseCases, type QueryDeps, type Recommendations, type RecommendQuery } from './use-cases.js';

export class ImpressionRecordingUseCases extends QueryUseCases {
  constructor(
    deps: QueryDeps,
    private readonly sink: ImpressionSink,
    private readonly now: () => number = Date.now,
  ) {
    super(deps);
  }

  override async recommend(q: RecommendQuery): Promise<Recommendations> {
    const answer = await super.recommend(q);
    const impressionId = randomUUID();
    this.sink.record({
      impressionId,
      userId: answer.userId,
      servedAt: this.now(),
      strategy: answer.strategy,
      bucket: answer.bucket,
      fallback: answer.fallback,
      items: answer.items.map((i) => ({ id: i.id, score: i.score })),
    });
    return { ...answer, impressionId };
  }
}
