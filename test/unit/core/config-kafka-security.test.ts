import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../services/core/config.js';
import { kafkaSecurity } from '../../../services/adapters/kafka/kafka-client.js';

describe('Kafka security settings', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'kafka-sec-'));
  const ca = path.join(dir, 'ca.pem');
  writeFileSync(ca, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');

  it('are off by default', () => {
    expect(kafkaSecurity(loadConfig({}))).toEqual({});
  });

  it('build TLS with the CA file and SASL with the password from a file', () => {
    const file = path.join(dir, 'password');
    writeFileSync(file, 's3cret\n');
    const config = loadConfig({ KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: ca, KAFKA_SASL_MECHANISM: 'scram-sha-256', KAFKA_SASL_USERNAME: 'svc', KAFKA_SASL_PASSWORD_FILE: file });
    expect(kafkaSecurity(config)).toEqual({
      ssl: { ca: ['-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n'] },
      sasl: { mechanism: 'scram-sha-256', username: 'svc', password: 's3cret' },
    });
  });

  it('use the system CAs when KAFKA_SSL is set without a CA file', () => {
    expect(kafkaSecurity(loadConfig({ KAFKA_SSL: 'true' }))).toEqual({ ssl: true });
  });

  it('name every inconsistency', () => {
    expect(() =>
      loadConfig({ KAFKA_SSL_CERT_FILE: ca, KAFKA_SASL_MECHANISM: 'gssapi', KAFKA_SASL_PASSWORD: 'a', KAFKA_SASL_PASSWORD_FILE: path.join(dir, 'missing') }),
    ).toThrow(
      /KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE: set both or neither[\s\S]*KAFKA_SASL_MECHANISM="gssapi": must be one of plain, scram-sha-256, scram-sha-512[\s\S]*set one, not both[\s\S]*KAFKA_SASL_PASSWORD_FILE=".*missing": cannot be read \(ENOENT\)/,
    );
    expect(() => loadConfig({ KAFKA_SASL_MECHANISM: 'plain' })).toThrow('KAFKA_SASL_MECHANISM=plain needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD (or KAFKA_SASL_PASSWORD_FILE)');
  });

  it('refuse an unreadable certificate file, naming the variable', () => {
    expect(() => kafkaSecurity(loadConfig({ KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: path.join(dir, 'nope.pem') }))).toThrow(/KAFKA_SSL_CA_FILE=".*nope.pem": cannot be read \(ENOENT\)/);
  });
});
