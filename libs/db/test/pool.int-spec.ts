import { createPool, withTransaction } from '../src';

/**
 * Against the real Postgres: a connection the server terminates (what a Postgres restart does to every
 * session) must not crash the process, whether the client was idle in the pool or checked out between
 * two queries of a transaction; the pool carries on with fresh connections.
 */
describe('createPool under terminated connections', () => {
  const pool = createPool(process.env.DATABASE_URL ?? '', { max: 2 });
  const admin = createPool(process.env.DATABASE_URL ?? '', { max: 1 });
  const uncaught: unknown[] = [];
  const onUncaught = (error: unknown) => void uncaught.push(error);

  beforeAll(() => process.prependListener('uncaughtException', onUncaught));
  afterAll(async () => {
    process.removeListener('uncaughtException', onUncaught);
    await pool.end();
    await admin.end();
  });

  const terminate = async (pid: number) => {
    const { rows } = await admin.query<{ ok: boolean }>('SELECT pg_terminate_backend($1) AS ok', [pid]);
    expect(rows[0]?.ok).toBe(true);
    await new Promise((r) => setTimeout(r, 200)); // let the FATAL message reach the client
  };

  it('survives the termination of a checked-out client between two queries of a transaction', async () => {
    const attempt = withTransaction(pool, async (tx) => {
      const { rows } = await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      await terminate(rows[0]!.pid);
      await tx.query('SELECT 1');
    });
    await expect(attempt).rejects.toThrow();
    expect(uncaught).toEqual([]);
    const { rows } = await pool.query<{ one: number }>('SELECT 1 AS one');
    expect(rows[0]?.one).toBe(1);
  });

  it('survives the termination of idle pooled clients', async () => {
    const pids = await Promise.all([pool.connect(), pool.connect()].map(async (c) => {
      const client = await c;
      const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      client.release();
      return rows[0]!.pid;
    }));
    for (const pid of pids) await terminate(pid);
    expect(uncaught).toEqual([]);
    const results = await Promise.all([pool.query('SELECT 1 AS one'), pool.query('SELECT 2 AS two')]);
    expect(results.map((r) => Object.values(r.rows[0] as object)[0])).toEqual([1, 2]);
  });
});
