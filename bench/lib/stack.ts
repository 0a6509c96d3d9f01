import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createPool } from '@audit/db';
import { ensureServiceCredential } from '@audit/testing';


export const REPO_ROOT = join(__dirname, '..', '..');
const NODE_ARGS = ['-r', '@swc-node/register'];
/** Databases other people's work lives in: the bench refuses to touch them whatever it is told. */
const PROTECTED_DATABASES = new Set(['audit', 'audit_test', 'postgres', 'template0', 'template1']);

export interface InfraEndpoints {
  kafkaBrokers: string;
  opensearchUrl: string;
  databaseUrl: string;
}

/** `node deploy/local/infra.mjs up` (idempotent: a running stack is left alone) and the addresses it wrote. */
export function infraUp(env: NodeJS.ProcessEnv = process.env): InfraEndpoints {
  const res = spawnSync(process.execPath, [join(REPO_ROOT, 'deploy/local/infra.mjs'), 'up'], { env, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  if (res.status !== 0) throw new Error(`infra up failed (exit ${res.status}):\n${res.stdout}\n${res.stderr}`);
  const dir = env.AUDIT_LOCAL_DIR ?? join(REPO_ROOT, '.local');
  const vars = Object.fromEntries(
    readFileSync(join(dir, 'infra.env'), 'utf8')
      .split('\n')
      .map((l) => l.match(/^([A-Z_]+)=(.*)$/))
      .filter((m): m is RegExpMatchArray => m !== null)
      .map((m) => [m[1], m[2]]),
  );
  return {
    kafkaBrokers: env.KAFKA_BROKERS ?? vars.KAFKA_BROKERS ?? '127.0.0.1:9092',
    opensearchUrl: env.OPENSEARCH_URL ?? vars.OPENSEARCH_URL ?? 'http://127.0.0.1:9200',
    databaseUrl: env.DATABASE_URL ?? vars.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/audit',
  };
}

/** The URL of database `name` on the server of `url`. */
export function databaseUrlFor(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

/** Drops (when `fresh`) and creates a dedicated database; never one of the shared ones. */
export async function prepareDatabase(serverUrl: string, name: string, fresh: boolean): Promise<string> {
  if (PROTECTED_DATABASES.has(name) || !/^[a-z][a-z0-9_]{0,62}$/.test(name)) throw new Error(`refusing to use database ${name}`);
  const admin = createPool(databaseUrlFor(serverUrl, 'postgres'), { max: 1 });
  try {
    if (fresh) await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!rowCount) await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const url = databaseUrlFor(serverUrl, name);
  const res = spawnSync(process.execPath, [...NODE_ARGS, join(REPO_ROOT, 'tools/migrate.ts')], { cwd: REPO_ROOT, env: { ...process.env, DATABASE_URL: url }, encoding: 'utf8' });
  if (res.status !== 0) throw new Error(`migrations failed:\n${res.stdout}\n${res.stderr}`);
  return url;
}

export type ServiceName = 'ingest' | 'ledger' | 'approval-policy' | 'query';

/**
 * One service as a child process (`node -r @swc-node/register apps/<name>/src/main.ts`), restartable,
 * with its peak RSS (VmHWM) sampled across every incarnation.
 */
export class ServiceProcess {
  private child: ChildProcess | undefined;
  private sampler: NodeJS.Timeout | undefined;
  private exited: Promise<void> = Promise.resolve();
  peakRssBytes = 0;
  starts = 0;

  constructor(
    readonly name: ServiceName,
    readonly port: number,
    readonly env: Record<string, string>,
    private readonly logDir: string,
    private readonly nodeFlags: string[] = [],
    /** A tree built by deploy/docker/build-runtime.ts: run its compiled JavaScript, as the image does. */
    private readonly runtimeDir?: string,
  ) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  start(): void {
    if (this.running) return;
    mkdirSync(this.logDir, { recursive: true });
    const log = createWriteStream(join(this.logDir, `${this.name}.log`), { flags: 'a' });
    const program = this.runtimeDir ? [join(this.runtimeDir, 'apps', this.name, 'src/main.js')] : [...NODE_ARGS, join(REPO_ROOT, 'apps', this.name, 'src/main.ts')];
    const child = spawn(process.execPath, [...this.nodeFlags, ...program], {
      cwd: REPO_ROOT,
      env: { SERVICE_CREDENTIAL_SECRET: ensureServiceCredential(), ...process.env, ...this.env, PORT: String(this.port), HOST: '127.0.0.1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.pipe(log, { end: false });
    child.stderr?.pipe(log, { end: false });
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    this.child = child;
    this.starts++;
    this.sampler = setInterval(() => this.sample(), 250);
    this.sampler.unref();
  }

  /** Polls /readyz until it answers 200 (Kafka, Postgres and OpenSearch connections all work). */
  async waitReady(timeoutMs = 90_000): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (performance.now() < deadline) {
      if (!this.running) throw new Error(`${this.name} exited during start (log: ${join(this.logDir, `${this.name}.log`)})`);
      const ok = await fetch(`${this.url}/readyz`, { signal: AbortSignal.timeout(2_000) })
        .then((r) => r.status === 200)
        .catch(() => false);
      if (ok) return;
      await sleep(200);
    }
    throw new Error(`${this.name} not ready after ${timeoutMs} ms (log: ${join(this.logDir, `${this.name}.log`)})`);
  }

  /** Sends `signal` and waits for the exit (SIGKILL for crash faults, SIGTERM for a graceful stop). */
  async kill(signal: NodeJS.Signals, graceMs = 15_000): Promise<void> {
    if (!this.running || !this.child) return;
    this.sample();
    this.child.kill(signal);
    const timer = setTimeout(() => this.child?.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
    clearInterval(this.sampler);
  }

  stop(): Promise<void> {
    return this.kill('SIGTERM');
  }

  private sample(): void {
    const pid = this.child?.pid;
    if (!pid || !this.running) return;
    try {
      const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (m) this.peakRssBytes = Math.max(this.peakRssBytes, Number(m[1]) * 1024);
    } catch {
      // The process exited between the check and the read: its last sample stands.
    }
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `probe` until it returns true or `timeoutMs` passes; returns whether it did. */
export async function waitFor(probe: () => Promise<boolean>, timeoutMs: number, everyMs = 200): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (await probe().catch(() => false)) return true;
    await sleep(everyMs);
  }
  return false;
}

export function versions(): Record<string, string> {
  const pkg = (name: string) => {
    const file = join(REPO_ROOT, 'node_modules', name, 'package.json');
    return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version : 'absent';
  };
  return { node: process.version, kafkajs: pkg('kafkajs'), pg: pkg('pg'), '@opensearch-project/opensearch': pkg('@opensearch-project/opensearch'), '@nestjs/core': pkg('@nestjs/core'), fastify: pkg('fastify') };
}

/**
 * Compiles the services as the container image does (deploy/docker/build-runtime.ts: SWC, aliases
 * rewritten, migrations copied) into `.local/runtime`, inside the repository so node_modules resolve.
 */
export function buildRuntime(): string {
  const dir = join(REPO_ROOT, '.local', 'runtime');
  const res = spawnSync(process.execPath, [...NODE_ARGS, join(REPO_ROOT, 'deploy/docker/build-runtime.ts'), dir], { cwd: REPO_ROOT, encoding: 'utf8' });
  if (res.status !== 0) throw new Error(`building the compiled runtime failed: ${res.stderr || res.stdout}`);
  return dir;
}
