import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { infraUp, REPO_ROOT, sleep, waitFor, type InfraEndpoints } from './stack';

/**
 * Kafka, OpenSearch and PostgreSQL of the fault suite's own, under .local/faults on other ports, so it can
 * stop, pause and restart them without disturbing anyone using the shared ones.
 */
export class PrivateInfra {
  readonly dir = join(REPO_ROOT, '.local', 'faults');
  readonly pgData = join(this.dir, 'pg', 'data');
  readonly pgBin = '/usr/lib/postgresql/15/bin';
  private readonly env: NodeJS.ProcessEnv;

  constructor(
    readonly ports = { kafka: 19392, kafkaController: 19393, opensearch: 9201, postgres: 55432 },
  ) {
    this.env = {
      ...process.env,
      AUDIT_LOCAL_DIR: this.dir,
      KAFKA_PORT: String(ports.kafka),
      KAFKA_CONTROLLER_PORT: String(ports.kafkaController),
      KAFKA_HEAP: '-Xmx384m',
      OPENSEARCH_PORT: String(ports.opensearch),
      OPENSEARCH_HEAP: '-Xms384m -Xmx512m',
      DATABASE_URL: this.postgresUrl('postgres'),
    };
    delete this.env.KAFKA_BROKERS;
    delete this.env.OPENSEARCH_URL;
  }

  postgresUrl(db: string): string {
    return `postgres://postgres@127.0.0.1:${this.ports.postgres}/${db}`;
  }

  /** A fresh private cluster (data from an earlier run removed), Kafka + OpenSearch via the launcher. */
  async up(): Promise<InfraEndpoints> {
    this.down();
    rmSync(join(this.dir, 'data'), { recursive: true, force: true });
    rmSync(join(this.dir, 'pg'), { recursive: true, force: true });
    mkdirSync(join(this.dir, 'pg'), { recursive: true });
    // initdb refuses root: the cluster belongs to the postgres user, in a folder it owns.
    this.asPostgres(`chown postgres ${join(this.dir, 'pg')}`, true);
    this.asPostgres(`${this.pgBin}/initdb -D ${this.pgData} -U postgres -A trust --no-sync >/dev/null`);
    this.startPostgres();
    const infra = infraUp(this.env);
    return { ...infra, databaseUrl: this.postgresUrl('postgres') };
  }

  down(): void {
    spawnSync(process.execPath, [join(REPO_ROOT, 'deploy/local/infra.mjs'), 'down'], { env: this.env, stdio: 'ignore' });
    if (existsSync(join(this.pgData, 'postmaster.pid'))) this.asPostgres(`${this.pgBin}/pg_ctl -D ${this.pgData} stop -m fast -w >/dev/null`);
  }

  startPostgres(): void {
    this.asPostgres(`${this.pgBin}/pg_ctl -D ${this.pgData} -o "-p ${this.ports.postgres} -k /tmp -c listen_addresses=127.0.0.1 -c fsync=on -c max_connections=200" -l ${join(this.dir, 'pg', 'postgres.log')} start -w >/dev/null`);
  }

  /** A real restart: fast shutdown (connections cut), a pause, start. */
  async restartPostgres(downMs: number): Promise<void> {
    this.asPostgres(`${this.pgBin}/pg_ctl -D ${this.pgData} stop -m fast -w >/dev/null`);
    await sleep(downMs);
    this.startPostgres();
  }

  pid(component: 'kafka' | 'opensearch'): number {
    return Number(readFileSync(join(this.dir, 'run', `${component}.pid`), 'utf8').trim());
  }

  /** SIGTERM to our broker (a clean stop), then the launcher starts it again on the same data. */
  async restartKafka(downMs: number): Promise<void> {
    const pid = this.pid('kafka');
    process.kill(pid, 'SIGTERM');
    await waitFor(async () => !alive(pid), 60_000);
    await sleep(downMs);
    infraUp(this.env);
  }

  pauseOpenSearch(): void {
    process.kill(this.pid('opensearch'), 'SIGSTOP');
  }

  resumeOpenSearch(): void {
    process.kill(this.pid('opensearch'), 'SIGCONT');
  }

  private asPostgres(cmd: string, asRoot = false): void {
    const res = asRoot ? spawnSync('sh', ['-c', cmd], { encoding: 'utf8' }) : spawnSync('su', ['postgres', '-s', '/bin/sh', '-c', cmd], { encoding: 'utf8' });
    if (res.status !== 0) throw new Error(`${cmd} failed: ${res.stderr}`);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
