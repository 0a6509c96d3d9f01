import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { formatVerifierKey } from '@audit/ledger-core';
import { verifyTenantLedger } from '@audit/ledger-store';
import { anAcceptedEvent, aTenant, expectEventually } from '@audit/testing';
import type { AcceptedEvent } from '@audit/contracts';
import { freePort, LedgerHarness } from './ledger-harness';

const ROOT = join(__dirname, '..', '..', '..');
const KILLS = 24;

/**
 * The ledger runs as a real process and is SIGKILLed again and again while events keep arriving: by a
 * timer at random moments, and by itself at the most dangerous points (just before and just after the
 * Postgres commit, after a Kafka publish but before the outbox delete). Afterwards the ledger must hold
 * exactly the events sent — each once, gapless per tenant — and verify.
 */
describe('ledger crash safety (SIGKILL at random points)', () => {
  const h = new LedgerHarness();
  let child: ChildProcess | undefined;
  let exits = 0;

  async function startLedger(crashProbability: number): Promise<ChildProcess> {
    const port = await freePort();
    const proc = spawn(process.execPath, ['-r', '@swc-node/register', 'apps/ledger/src/main.ts'], {
      cwd: ROOT,
      env: {
        ...process.env,
        ...h.env(),
        PORT: String(port),
        LOG_LEVEL: 'error',
        LEDGER_SESSION_TIMEOUT_MS: '8000',
        LEDGER_MAX_BATCH: '40',
        CHECKPOINT_INTERVAL_MS: '100',
        LEDGER_CRASH_POINTS: crashProbability > 0 ? 'before-db-commit,after-db-commit,after-outbox-publish' : '',
        LEDGER_CRASH_PROBABILITY: String(crashProbability),
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    proc.on('exit', () => exits++);
    return proc;
  }

  const waitExit = (p: ChildProcess) => new Promise<void>((resolve) => (p.exitCode !== null || p.signalCode !== null ? resolve() : p.once('exit', () => resolve())));

  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await h.close();
  });

  it(`holds exactly the accepted events after ${KILLS} kills`, async () => {
    await h.start(); // creates the namespaced topics, then steps aside for the real process
    await h.stopApp();
    await h.watchCommitted();
    const tenants = [aTenant('crash'), aTenant('crash'), aTenant('crash')];
    const sent: AcceptedEvent[] = [];
    let sending = true;
    const producer = (async () => {
      for (let round = 0; sending && round < 400; round++) {
        const batch = Array.from({ length: 15 }, (_, i) => anAcceptedEvent(tenants[(round + i) % tenants.length]!));
        // Producer retries re-send some events: the ledger must still store each once.
        const resend = sent.length > 0 && round % 7 === 0 ? [sent[Math.floor(Math.random() * sent.length)]!] : [];
        await h.send([...batch, ...resend]);
        sent.push(...batch);
        await new Promise((r) => setTimeout(r, 60));
      }
    })();

    let kills = 0;
    while (kills < KILLS) {
      child = await startLedger(0.04);
      const started = exits;
      // Kill it after a random while, unless it crashed itself at an injected point first.
      await Promise.race([new Promise((r) => setTimeout(r, 1_500 + Math.random() * 2_500)), waitExit(child)]);
      if (exits === started) child.kill('SIGKILL');
      await waitExit(child);
      kills++;
    }
    sending = false;
    await producer;

    // The last instance runs until the ledger is complete; if it dies (e.g. the machine is overloaded and
    // a dependency times out), start another, as an orchestrator would.
    let finished = false;
    const keepAlive = async (): Promise<void> => {
      while (!finished) {
        child = await startLedger(0);
        await waitExit(child);
      }
    };
    const supervisor = keepAlive();
    const expected = new Map(tenants.map((t) => [t, sent.filter((e) => e.tenant === t).map((e) => e.id)]));
    await expectEventually(
      async () => {
        for (const t of tenants) {
          const rows = await h.rows(t);
          expect(rows.map((r) => r.seq)).toEqual(rows.map((_, i) => i + 1));
          expect(rows.map((r) => r.event_id).sort()).toEqual([...(expected.get(t) ?? [])].sort());
        }
      },
      { timeoutMs: 180_000, intervalMs: 500 },
    );
    // Within one tenant the ledger keeps the order events were accepted in.
    for (const t of tenants) expect((await h.rows(t)).map((r) => r.event_id)).toEqual(expected.get(t));

    await expectEventually(
      async () => {
        const { rows } = await h.pool.query('SELECT count(*) AS n FROM ledger.outbox WHERE tenant = ANY($1)', [tenants]);
        expect(Number(rows[0]?.n)).toBe(0);
      },
      { timeoutMs: 30_000 },
    );
    // Every committed record was announced at least once (duplicates downstream are allowed).
    await expectEventually(() => {
      const announced = new Set(h.committed.filter((c) => tenants.includes(c.event.tenant)).map((c) => `${c.event.tenant}:${c.seq}`));
      expect(announced.size).toBe(sent.length);
    });
    await expectEventually(async () => {
      for (const t of tenants) {
        const result = await verifyTenantLedger(h.pool, t, h.trustedKeys);
        expect({ tenant: t, ok: result.ok, first: result.firstFailure }).toEqual({ tenant: t, ok: true, first: undefined });
        expect(result.checkpointedSize).toBe(expected.get(t)?.length);
      }
    });
    finished = true;
    child?.kill('SIGKILL');
    await supervisor;
    process.stdout.write(`crash test: ${sent.length} events, ${kills} kills, ${exits} exits, verify key ${formatVerifierKey(h.key.verifierKey).slice(0, 24)}…\n`);
  }, 600_000);
});
