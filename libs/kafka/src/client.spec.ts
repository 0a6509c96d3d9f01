import { KafkaJSProtocolError } from 'kafkajs';
import { isNotYet, kafkaConnectionOptions } from './client';

describe('kafkaConnectionOptions', () => {
  it('is plain text without credentials by default', () => {
    expect(kafkaConnectionOptions({})).toEqual({});
    expect(kafkaConnectionOptions({ KAFKA_SSL: false })).toEqual({});
  });

  it('turns on TLS', () => {
    expect(kafkaConnectionOptions({ KAFKA_SSL: true })).toEqual({ ssl: true });
  });

  it.each(['plain', 'scram-sha-256', 'scram-sha-512'] as const)('passes SASL %s with its credentials', (mechanism) => {
    expect(kafkaConnectionOptions({ KAFKA_SSL: true, KAFKA_SASL_MECHANISM: mechanism, KAFKA_SASL_USERNAME: 'ledger', KAFKA_SASL_PASSWORD: 's3cret' })).toEqual({
      ssl: true,
      sasl: { mechanism, username: 'ledger', password: 's3cret' },
    });
  });

  it('refuses a mechanism without credentials rather than connecting anonymously', () => {
    expect(() => kafkaConnectionOptions({ KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'ledger' })).toThrow(
      'KAFKA_SASL_MECHANISM needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD',
    );
  });
});

describe('isNotYet', () => {
  it('treats a topic whose partitions have no leader yet as "retry", not as a failure', () => {
    const unknown = Object.assign(new KafkaJSProtocolError('This server does not host this topic-partition'), { type: 'UNKNOWN_TOPIC_OR_PARTITION' });
    expect(isNotYet(unknown)).toBe(true);
    expect(isNotYet(Object.assign(new Error('x'), { type: 'LEADER_NOT_AVAILABLE' }))).toBe(true);
  });

  it('does not retry errors that will not go away', () => {
    expect(isNotYet(Object.assign(new Error('denied'), { type: 'TOPIC_AUTHORIZATION_FAILED', retriable: false }))).toBe(false);
    expect(isNotYet(new TypeError('bug'))).toBe(false);
  });
});
