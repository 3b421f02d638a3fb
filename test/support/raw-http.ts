/**
 * HTTP requests written byte for byte on a TCP socket, for request lines no HTTP client would send
 * (absolute-form targets, `/./v1`, HTTP/1.0, ...): the spellings an attacker tries.
 */
import { connect } from 'node:net';

export interface RawResponse {
  readonly status: number;
  readonly head: string;
  readonly body: string;
}

/** Sends `requestLine` (e.g. `GET /x HTTP/1.1`) with `headers`, closing after the response; fails after `timeoutMs`. */
export function rawRequest(port: number, requestLine: string, headers: Record<string, string> = {}, timeoutMs = 5000): Promise<RawResponse> {
  const lines = [requestLine, 'Host: 127.0.0.1', 'Connection: close', ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer to ${JSON.stringify(requestLine)} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('utf8');
      const split = text.indexOf('\r\n\r\n');
      const head = split < 0 ? text : text.slice(0, split);
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(head);
      if (status === null) reject(new Error(`not an HTTP response to ${JSON.stringify(requestLine)}: ${JSON.stringify(text.slice(0, 200))}`));
      else resolve({ status: Number(status[1]), head, body: split < 0 ? '' : text.slice(split + 4) });
    });
    socket.write(`${lines.join('\r\n')}\r\n\r\n`);
  });
}
