import { KafkaJSConnectionError, KafkaJSNonRetriableError, KafkaJSNumberOfRetriesExceeded, KafkaJSSASLAuthenticationError } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { isBrokerLoss, retryOnBrokerLoss } from '../../../services/adapters/kafka/broker-loss.js';
import { InterestStreamError } from '../../../services/domain/errors.js';
import { silentLogger } from '../../../services/core/logger.js';

// kafkajs' type declarations give these two no constructor arguments; the classes take (message | cause, options).
const retriesExceeded = (cause: Error) => new (KafkaJSNumberOfRetriesExceeded as unknown as new (e: Error, o: object) => Error)(cause, { retryCount: 8, retryTime: 1000 });
const saslRefused = (message: string) => new (KafkaJSSASLAuthenticationError as unknown as new (m: string) => Error)(message);

describe('riding through a broker loss', () => {
  it('retries a refused connection (also wrapped) and never a refused password or a plain bug', () => {
    const refused = new KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:25093');
    expect(isBrokerLoss(refused)).toBe(true);
    expect(isBrokerLoss(new InterestStreamError('BROKER_UNAVAILABLE', 'describeConfigs failed', { cause: refused }))).toBe(true);
    expect(isBrokerLoss(retriesExceeded(refused))).toBe(true);
    expect(isBrokerLoss(saslRefused('SASL SCRAM SHA512 authentication failed'))).toBe(false);
    expect(isBrokerLoss(new KafkaJSNonRetriableError('Invalid topic'))).toBe(false);
    expect(isBrokerLoss(new TypeError('x is undefined'))).toBe(false);
  });

  it('returns what the call gives once the broker answers again, and lets other errors through at once', async () => {
    let calls = 0;
    const flaky = async () => {
      if (++calls < 3) throw new KafkaJSConnectionError('Connection error: connect ECONNREFUSED');
      return 'ok';
    };
    expect(await retryOnBrokerLoss('test', flaky, silentLogger())).toBe('ok');
    expect(calls).toBe(3);

    let sasl = 0;
    const refusedPassword = async () => {
      sasl++;
      throw saslRefused('SASL authentication failed');
    };
    await expect(retryOnBrokerLoss('test', refusedPassword, silentLogger())).rejects.toThrow('SASL authentication failed');
    expect(sasl).toBe(1);
  });

  it('gives up with the last error after its deadline', async () => {
    let calls = 0;
    const dead = async () => {
      calls++;
      throw new KafkaJSConnectionError('Connection error: connect ECONNREFUSED');
    };
    await expect(retryOnBrokerLoss('test', dead, silentLogger(), 300)).rejects.toThrow('ECONNREFUSED');
    expect(calls).toBe(2);
  });
});
