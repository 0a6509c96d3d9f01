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

  it('treats empty strings as unset', () => {
    expect(parseEnv(shape, { PORT: '' }).PORT).toBe(3000);
  });
});
