import { describe, expect, it } from 'vitest';
import { examples } from '../../../services/cli/demo.js';

const api = 'http://127.0.0.1:8080';

function commands(text: string): string[] {
  return text.split('\n').filter((l) => /^\s+(curl|grpcurl)/.test(l));
}

describe('the commands the demo prints to try the service', () => {
  it('carry the Authorization header on every protected call when API keys are on, and say which key to set', () => {
    const text = examples(api, 9090, 'user-1', true);
    expect(text).toContain('export API_KEY=');
    const calls = commands(text);
    expect(calls).toHaveLength(6);
    for (const line of calls.filter((l) => l.includes('/v1/'))) expect(line).toContain('-H "Authorization: Bearer $API_KEY"');
    expect(calls.find((l) => l.includes('grpcurl'))).toContain('-H "authorization: Bearer $API_KEY"');
    // the OpenAPI document is a public route: no key needed
    expect(calls.find((l) => l.includes('/openapi.json'))).toBe(`  curl '${api}/openapi.json'`);
  });

  it('leave the header out when the service runs without keys', () => {
    const text = examples(api, 9090, 'user-1', false);
    expect(text).not.toContain('API_KEY');
    expect(commands(text)[0]).toBe(`  curl '${api}/v1/users/user-1/recommendations?limit=5&strategy=ema'`);
  });
});
