import { z } from 'zod';
import { baseEnv, ConfigError, parseEnv, port } from './config';

const shape = { ...baseEnv, PORT: port(3000), BATCH: z.coerce.number().int().positive().default(10) };

describe('parseEnv', () => {
  it('applies defaults', () => {
    const cfg = parseEnv(shape, {});
    expect(cfg.PORT).toBe(3000);
    expect(cfg.KAFKA_BROKERS).toEqual(['127.0.0.1:9092']);
  });

  it('lists every bad variable, not just the first', () => {
    let caught: unknown;
    try {
      parseEnv(shape, { PORT: 'eighty', KAFKA_BROKERS: 'nope', DATABASE_URL: 'mysql://x', LOG_LEVEL: 'loud' });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const vars = (caught as ConfigError).problems.map((p) => p.variable).sort();
    expect(vars).toEqual(['DATABASE_URL', 'KAFKA_BROKERS', 'LOG_LEVEL', 'PORT']);
    expect((caught as ConfigError).message).toMatch(/KAFKA_BROKERS: must be a comma-separated list of host:port/);
  });

  it('takes the topic partition count, refusing counts Kafka cannot have', () => {
    expect(parseEnv(shape, {}).KAFKA_TOPIC_PARTITIONS).toBe(3);
    expect(parseEnv(shape, { KAFKA_TOPIC_PARTITIONS: '12' }).KAFKA_TOPIC_PARTITIONS).toBe(12);
    for (const [value, rule] of [['0', 'at least 1'], ['2.5', 'a whole number'], ['1001', 'at most 1000']]) {
      expect(() => parseEnv(shape, { KAFKA_TOPIC_PARTITIONS: value })).toThrow(`KAFKA_TOPIC_PARTITIONS: must be ${rule}`);
    }
  });

  it('reads Kafka TLS and SASL settings, naming each missing or stray credential', () => {
    expect(parseEnv(shape, {}).KAFKA_SSL).toBe(false);
    const secure = parseEnv(shape, { KAFKA_SSL: 'true', KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' });
    expect(secure).toMatchObject({ KAFKA_SSL: true, KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' });
    const problems = (env: Record<string, string>) => {
      try {
        parseEnv(shape, env);
      } catch (error) {
        return (error as ConfigError).problems;
      }
      return [];
    };
    expect(problems({ KAFKA_SSL: 'yes' })).toEqual([{ variable: 'KAFKA_SSL', message: 'must be true or false' }]);
    expect(problems({ KAFKA_SASL_MECHANISM: 'gssapi', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' })).toEqual([
      { variable: 'KAFKA_SASL_MECHANISM', message: 'must be plain, scram-sha-256 or scram-sha-512' },
    ]);
    expect(problems({ KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'u' })).toEqual([
      { variable: 'KAFKA_SASL_PASSWORD', message: 'is required when KAFKA_SASL_MECHANISM is set' },
    ]);
    expect(problems({ KAFKA_SASL_PASSWORD: 'p' })).toEqual([
      { variable: 'KAFKA_SASL_PASSWORD', message: 'is only used with KAFKA_SASL_MECHANISM, which is not set' },
    ]);
  });

  it('treats empty strings as unset', () => {
    expect(parseEnv(shape, { PORT: '' }).PORT).toBe(3000);
  });
});
