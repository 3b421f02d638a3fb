import { describe, expect, it } from 'vitest';
import { clusterOptions, redisForConfig } from '../../../services/adapters/redis/redis-client.js';
import { loadConfig } from '../../../services/core/config.js';
import { silentLogger } from '../../../services/core/logger.js';

describe('clusterOptions (REDIS_URL of a Redis Cluster)', () => {
  it.each([
    ['redis://10.0.0.5:7000', { seed: { host: '10.0.0.5', port: 7000 }, nodeOptions: {} }],
    ['redis://redis-0.redis', { seed: { host: 'redis-0.redis', port: 6379 }, nodeOptions: {} }],
    ['redis://:s3cret@10.0.0.5:7000', { seed: { host: '10.0.0.5', port: 7000 }, nodeOptions: { password: 's3cret' } }],
    ['rediss://app:p%40ss%3Aw0rd@[::1]:6380', { seed: { host: '::1', port: 6380 }, nodeOptions: { username: 'app', password: 'p@ss:w0rd' } }],
  ])('%s: the seed, and the credentials every node gets', (url, want) => {
    expect(clusterOptions(url)).toEqual(want);
  });
});

describe('REDIS_TLS_CA_FILE', () => {
  it('names the setting when the file cannot be read', () => {
    const config = loadConfig({ REDIS_URL: 'rediss://cache:6380', REDIS_TLS_CA_FILE: '/nonexistent/ca.pem' });
    expect(() => redisForConfig(config, silentLogger())).toThrow('REDIS_TLS_CA_FILE="/nonexistent/ca.pem": cannot be read (ENOENT)');
  });
});
