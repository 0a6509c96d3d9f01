import { createServer, connect, type Server, type Socket } from 'node:net';
import pino from 'pino';
import { awaitDependencies } from '../src';

/**
 * Against the real Postgres, Kafka and OpenSearch: a dependency that is not there at first is waited for
 * (and said so) until it answers. "Not there" is a port nobody listens on; "comes up" is a TCP relay to
 * the real server that starts listening on that port a moment later.
 */
const real = {
  DATABASE_URL: process.env.DATABASE_URL ?? '',
  KAFKA_BROKERS: (process.env.KAFKA_BROKERS ?? '').split(','),
  OPENSEARCH_URL: process.env.OPENSEARCH_URL ?? '',
};

function capturingLogger(): { logger: pino.Logger; lines: () => { level: number; dependency?: string; msg: string }[] } {
  const chunks: string[] = [];
  const logger = pino({ level: 'info' }, { write: (s: string) => void chunks.push(s) });
  return { logger, lines: () => chunks.map((c) => JSON.parse(c) as { level: number; dependency?: string; msg: string }) };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Relays 127.0.0.1:`port` to `target` once started. */
function relay(port: number, target: { host: string; port: number }): { start(): Promise<void>; stop(): Promise<void> } {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  return {
    start: () =>
      new Promise((resolve) => {
        server = createServer((client) => {
          const upstream = connect(target.port, target.host);
          for (const s of [client, upstream]) {
            sockets.add(s);
            s.on('error', () => undefined).on('close', () => sockets.delete(s));
          }
          client.pipe(upstream).pipe(client);
        }).listen(port, '127.0.0.1', () => resolve());
      }),
    stop: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    },
  };
}

describe('awaitDependencies', () => {
  it('waits for a Postgres that comes up late, saying which and where, then resolves', async () => {
    const port = await freePort();
    const target = new URL(real.DATABASE_URL);
    const late = relay(port, { host: target.hostname, port: Number(target.port || 5432) });
    const url = new URL(real.DATABASE_URL);
    url.port = String(port);
    // A password in the URL (the local server trusts connections and ignores it) must never reach the log.
    url.username = url.username || 'postgres';
    url.password = 'sekret-pw-4711';
    const { logger, lines } = capturingLogger();
    const timer = setTimeout(() => void late.start(), 1_200);
    try {
      await awaitDependencies({
        service: 'probe',
        logger,
        config: { ...real, DATABASE_URL: url.toString() },
        uses: { postgres: true },
        initialDelayMs: 100,
        maxDelayMs: 400,
        giveUpAfterMs: 20_000,
      });
    } finally {
      clearTimeout(timer);
      await late.stop();
    }
    const waits = lines().filter((l) => l.level === 40);
    expect(waits.length).toBeGreaterThanOrEqual(2);
    expect(waits[0]).toMatchObject({ dependency: 'postgres', where: `127.0.0.1:${port}` });
    expect(waits[0]?.msg).toMatch(new RegExp(`probe cannot reach postgres at 127\\.0\\.0\\.1:${port} yet \\(.*ECONNREFUSED.*\\); retrying in 100 ms`));
    expect(JSON.stringify(lines())).not.toContain('sekret-pw-4711');
    expect(lines().at(-1)).toMatchObject({ level: 30, dependency: 'postgres', msg: 'postgres reachable' });
  });

  it('resolves at once when Kafka, Postgres and OpenSearch all answer', async () => {
    const { logger, lines } = capturingLogger();
    await awaitDependencies({ service: 'probe', logger, config: real, uses: { postgres: true, kafka: true, opensearch: true }, giveUpAfterMs: 10_000 });
    expect(lines().filter((l) => l.level === 40)).toEqual([]);
    expect(lines().map((l) => l.dependency)).toEqual(['postgres', 'kafka', 'opensearch']);
  });

  it('with a limit, gives up on a Kafka nobody listens for, having said so on every attempt', async () => {
    const port = await freePort();
    const { logger, lines } = capturingLogger();
    await expect(
      awaitDependencies({
        service: 'probe',
        logger,
        config: { ...real, KAFKA_BROKERS: [`127.0.0.1:${port}`] },
        uses: { kafka: true },
        initialDelayMs: 100,
        maxDelayMs: 200,
        giveUpAfterMs: 1_000,
      }),
    ).rejects.toThrow(/ECONNREFUSED/);
    const waits = lines().filter((l) => l.level === 40);
    expect(waits.length).toBeGreaterThanOrEqual(3);
    expect(waits.every((l) => l.dependency === 'kafka')).toBe(true);
    // kafkajs' own connection errors stay out of the log: one line per attempt says it.
    expect(lines().filter((l) => l.level >= 50)).toEqual([]);
  });
});
