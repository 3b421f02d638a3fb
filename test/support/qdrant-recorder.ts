/**
 * A tiny HTTP server that records every request the Qdrant adapter sends and answers each with
 * what the test's `answer` function says, in Qdrant's envelope. It stores nothing: it checks the
 * requests we build (sizes, bodies, retries), not Qdrant's behaviour — that is the contract suite's
 * job against a real server.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  /** Bytes of the request body as sent. */
  readonly bytes: number;
  readonly body: unknown;
}

export interface Answer {
  readonly status?: number;
  readonly result?: unknown;
  /** Qdrant's error text (status.error) for a failure. */
  readonly error?: string;
  readonly delayMs?: number;
  /** A body sent as is, without the envelope (GET / answers `{ title, version, commit }`). */
  readonly raw?: unknown;
  /** A plain-text body (Qdrant's 401/403 for a missing or wrong API key). */
  readonly text?: string;
}

export type Answerer = (req: RecordedRequest, index: number) => Answer;

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of req) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

export class QdrantRecorder {
  readonly requests: RecordedRequest[] = [];
  private server: Server | undefined;
  url = '';

  constructor(public answer: Answerer) {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      void readBody(req).then(async (raw) => {
        const url = new URL(req.url ?? '/', 'http://x');
        const recorded = { method: req.method ?? '', path: url.pathname, query: url.searchParams, bytes: raw.length, body: raw.length > 0 ? JSON.parse(raw.toString('utf8')) : undefined };
        this.requests.push(recorded);
        const a = this.answer(recorded, this.requests.length - 1);
        if (a.delayMs) await new Promise((r) => setTimeout(r, a.delayMs));
        const status = a.status ?? 200;
        const envelope = status < 300 ? { result: a.result ?? true, status: 'ok', time: 0 } : { status: { error: a.error ?? 'error' }, time: 0 };
        const body = a.raw ?? envelope;
        if (res.destroyed) return;
        if (a.text !== undefined) return void res.writeHead(status, { 'content-type': 'text/plain' }).end(a.text);
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** The requests to one method and path pattern. */
  matching(method: string, path: RegExp): RecordedRequest[] {
    return this.requests.filter((r) => r.method === method && path.test(r.path));
  }
}

/** GET /collections/{name} as Qdrant 1.18 answers it, for a given vectors config. */
export function collectionInfo(vectors: unknown, payloadSchema: Record<string, unknown> = {}): Answer {
  return { result: { status: 'green', config: { params: { vectors } }, payload_schema: payloadSchema, points_count: 0 } };
}
