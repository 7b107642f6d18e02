// Apache Kafka (KRaft, single node) from the official jars on Maven Central, or a broker that already answers.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import kafkajs from 'kafkajs';
import {
  INFRA_DIR,
  InfraError,
  STATE_DIR,
  commandLine,
  ensureDir,
  isAlive,
  portOpen,
  run,
  say,
  seconds,
  sleep,
  tail,
  waitFor,
  withTimeout,
} from './util.mjs';

const { Kafka, logLevel } = kafkajs;

export const DEFAULT_BROKERS = '127.0.0.1:9092';
const READY_TIMEOUT_MS = 120_000;
const STOP_TIMEOUT_MS = 30_000;

const TEMPLATE_DIR = path.join(INFRA_DIR, 'kafka');
const POM = path.join(TEMPLATE_DIR, 'pom.xml');
const DIR = path.join(STATE_DIR, 'kafka');
const LIBS = path.join(DIR, 'libs');
const LIBS_STAMP = path.join(LIBS, '.pom-sha256');
const MAVEN_LOG = path.join(DIR, 'maven.log');

/** Where one broker keeps its files; the jars in LIBS are shared by every broker. */
function brokerFiles(dir) {
  return {
    dir,
    data: path.join(dir, 'data'),
    logs: path.join(dir, 'logs'),
    props: path.join(dir, 'server.properties'),
    serverLog: path.join(dir, 'server.log'),
    pidFile: path.join(dir, 'broker.pid'),
  };
}

// The broker `infra up` manages: .infra/kafka on 9092 (clients) and 9093 (controller).
const SHARED = { ...brokerFiles(DIR), port: 9092, controllerPort: 9093 };
const { pidFile: PID_FILE } = SHARED;

const java = () => (process.env.JAVA_HOME ? path.join(process.env.JAVA_HOME, 'bin', 'java') : 'java');

export const kafkaVersion = () => /<kafka\.version>([^<]+)</.exec(readFileSync(POM, 'utf8'))?.[1] ?? '?';

/** Asks the brokers for cluster metadata; resolves { ok, brokers } or { ok: false, error }. */
export async function probeKafka(brokers, timeoutMs = 4000) {
  const admin = new Kafka({
    clientId: 'churnwatch-infra',
    brokers: brokers.split(',').map((b) => b.trim()),
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1000,
    requestTimeout: timeoutMs,
    retry: { retries: 0 },
  }).admin();
  try {
    await withTimeout(admin.connect(), timeoutMs, 'kafka connect');
    const cluster = await withTimeout(admin.describeCluster(), timeoutMs, 'kafka describeCluster');
    await withTimeout(admin.fetchTopicMetadata(), timeoutMs, 'kafka metadata');
    return { ok: true, brokers: cluster.brokers.length, clusterId: cluster.clusterId };
  } catch (err) {
    return { ok: false, error: err.message };
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

/** Pid of the broker infra started, if it still runs. */
export function ownBrokerPid() {
  if (!existsSync(PID_FILE)) return undefined;
  const pid = Number(readFileSync(PID_FILE, 'utf8').trim());
  if (pid > 0 && isAlive(pid) && commandLine(pid).includes('kafka.Kafka')) return pid;
  rmSync(PID_FILE, { force: true });
  return undefined;
}

/** Makes a broker answer; returns { brokers, started, action }. */
export async function ensureKafka(env = process.env) {
  if (env.KAFKA_BROKERS) return useGivenBrokers(env.KAFKA_BROKERS);
  const pid = ownBrokerPid();
  if ((await probeKafka(DEFAULT_BROKERS)).ok) return { brokers: DEFAULT_BROKERS, started: Boolean(pid), action: 'reused' };
  if (pid) {
    say(`kafka: broker pid ${pid} (ours) is not answering yet; waiting`);
    await awaitReady(pid);
    return { brokers: DEFAULT_BROKERS, started: true, action: 'reused' };
  }
  await assertPortsFree([SHARED.port, SHARED.controllerPort]);
  await assertJava();
  await fetchJars();
  renderProperties(SHARED);
  await formatStorage(SHARED);
  await awaitReady(startBroker(SHARED), DEFAULT_BROKERS, SHARED);
  return { brokers: DEFAULT_BROKERS, started: true, action: 'started' };
}

async function useGivenBrokers(brokers) {
  const answer = await waitFor(async () => {
    const result = await probeKafka(brokers);
    return result.ok ? result : undefined;
  }, { timeoutMs: 10_000 });
  if (!answer) {
    const { error } = await probeKafka(brokers);
    throw new InfraError(`KAFKA_BROKERS=${brokers} does not answer as a Kafka broker (${error}): start it or unset KAFKA_BROKERS`);
  }
  return { brokers, started: false, action: 'reused' };
}

async function assertPortsFree(ports) {
  for (const port of ports) {
    if (await portOpen('127.0.0.1', port)) {
      throw new InfraError(
        `127.0.0.1:${port} is taken by something that is not a working Kafka broker: stop it, or set KAFKA_BROKERS to a broker to use`,
      );
    }
  }
}

async function assertJava() {
  const hint = 'install Java 17+ (or set JAVA_HOME), or set KAFKA_BROKERS to an existing broker';
  const { stderr } = await run(java(), ['-version'], { hint });
  const match = /version "(\d+)(?:\.(\d+))?/.exec(stderr);
  const major = match && (match[1] === '1' ? Number(match[2]) : Number(match[1]));
  if (!major || major < 17) throw new InfraError(`Java 17+ is needed for Kafka, found ${match?.[0] ?? 'unknown'}: ${hint}`);
}

const pomHash = () => createHash('sha256').update(readFileSync(POM)).digest('hex');

/** Copies the broker jars to .infra/kafka/libs with Maven (cached in ~/.m2); skipped when the pom is unchanged. */
async function fetchJars() {
  const hash = pomHash();
  if (existsSync(LIBS_STAMP) && readFileSync(LIBS_STAMP, 'utf8').trim() === hash) return;
  const started = Date.now();
  const staging = `${LIBS}.tmp`;
  rmSync(staging, { recursive: true, force: true });
  ensureDir(DIR);
  say(`kafka: resolving Kafka ${kafkaVersion()} jars with Maven (first time only; log in ${MAVEN_LOG})`);
  let downloads = 0;
  const progress = setInterval(() => say(`kafka: maven ... ${seconds(Date.now() - started)}, ${downloads} files downloaded`), 5000);
  const args = ['-B', '-f', POM, 'dependency:copy-dependencies', `-DoutputDirectory=${staging}`, '-DincludeScope=runtime'];
  const result = await run('mvn', args, {
    hint: 'install Maven 3.6+ (and Java 17+), or set KAFKA_BROKERS to an existing broker',
    onStdoutLine: (line) => line.includes('Downloaded from') && downloads++,
  }).finally(() => clearInterval(progress));
  writeFileSync(MAVEN_LOG, result.stdout + result.stderr);
  if (result.code !== 0) {
    throw new InfraError(
      `mvn could not fetch the Kafka jars (exit ${result.code}); is Maven Central reachable? Log tail:\n${tail(MAVEN_LOG, 20)}`,
    );
  }
  writeFileSync(path.join(staging, '.pom-sha256'), `${hash}\n`);
  rmSync(LIBS, { recursive: true, force: true });
  renameSync(staging, LIBS);
  say(`kafka: jars ready in ${seconds(Date.now() - started)} (${downloads} files downloaded)`);
}

function renderProperties(broker) {
  ensureDir(broker.data);
  const template = readFileSync(path.join(TEMPLATE_DIR, 'server.properties'), 'utf8');
  const props = template
    .replaceAll('@DATA_DIR@', broker.data)
    .replaceAll('@PORT@', String(broker.port))
    .replaceAll('@CONTROLLER_PORT@', String(broker.controllerPort));
  writeFileSync(broker.props, props);
}

function jvmArgs(broker) {
  const heap = (process.env.KAFKA_HEAP_OPTS ?? '-Xms256m -Xmx768m').split(/\s+/).filter(Boolean);
  return [
    ...heap,
    '-XX:+UseG1GC',
    '-XX:MaxGCPauseMillis=20',
    '-XX:+ExitOnOutOfMemoryError',
    '-Djava.awt.headless=true',
    `-Dkafka.logs.dir=${ensureDir(broker.logs)}`,
    `-Dlog4j2.configurationFile=${path.join(TEMPLATE_DIR, 'log4j2.xml')}`,
    '-cp',
    path.join(LIBS, '*'),
  ];
}

/** Formats the KRaft metadata log once; a formatted data dir has meta.properties. */
async function formatStorage(broker) {
  if (existsSync(path.join(broker.data, 'meta.properties'))) return;
  const clusterId = randomBytes(16).toString('base64url');
  const args = [...jvmArgs(broker), 'kafka.tools.StorageTool', 'format', '--standalone', '-t', clusterId, '-c', broker.props];
  const result = await run(java(), args);
  if (result.code !== 0) {
    throw new InfraError(`formatting Kafka storage in ${broker.data} failed:\n${(result.stdout + result.stderr).trim()}`);
  }
  say(`kafka: formatted ${broker.data} (cluster ${clusterId})`);
}

/** Starts the broker detached so it outlives this process; returns its pid. */
function startBroker(broker) {
  const { serverLog } = broker;
  if (existsSync(serverLog)) renameSync(serverLog, `${serverLog}.1`);
  const out = openSync(serverLog, 'a');
  const child = spawn(java(), [...jvmArgs(broker), 'kafka.Kafka', broker.props], { detached: true, stdio: ['ignore', out, out] });
  closeSync(out);
  child.unref();
  writeFileSync(broker.pidFile, `${child.pid}\n`);
  say(`kafka: starting Kafka ${kafkaVersion()} (pid ${child.pid}, log ${serverLog})`);
  return child.pid;
}

async function awaitReady(pid, brokers, broker) {
  const started = Date.now();
  let died = false;
  const ready = await waitFor(
    async () => {
      if (!isAlive(pid)) return (died = true);
      return (await probeKafka(brokers, 2000)).ok;
    },
    { timeoutMs: READY_TIMEOUT_MS, onProgress: (ms) => say(`kafka: waiting for the broker to answer ... ${seconds(ms)}`) },
  );
  if (ready && !died) return;
  const why = died ? 'exited during startup' : `did not answer within ${READY_TIMEOUT_MS / 1000}s`;
  throw new InfraError(
    `Kafka broker (pid ${pid}) ${why}. Tail of ${broker.serverLog}:\n${tail(broker.serverLog)}\n` +
      `Full broker log: ${path.join(broker.logs, 'kafka.log')} (took ${seconds(Date.now() - started)})`,
  );
}

/** Stops the broker infra started (SIGTERM, then SIGKILL after 30 s); returns what it did. */
export async function stopKafka() {
  const pid = ownBrokerPid();
  if (!pid) return 'not running (nothing of ours to stop)';
  const started = Date.now();
  signal(pid, 'SIGTERM');
  const stopped = await waitFor(() => !isAlive(pid), {
    timeoutMs: STOP_TIMEOUT_MS,
    intervalMs: 250,
    onProgress: (ms) => say(`kafka: waiting for pid ${pid} to shut down ... ${seconds(ms)}`),
  });
  if (!stopped) {
    signal(pid, 'SIGKILL');
    await sleep(500);
  }
  rmSync(PID_FILE, { force: true });
  return stopped ? `stopped pid ${pid} in ${seconds(Date.now() - started)}` : `killed pid ${pid} after ${STOP_TIMEOUT_MS / 1000}s`;
}

function signal(pid, name) {
  try {
    process.kill(pid, name);
  } catch (err) {
    if (err.code !== 'ESRCH') throw err;
  }
}

/**
 * A broker of its own in `dir` on `port` (clients) and `controllerPort`, for tests that stop and
 * restart a broker without touching the shared one (the chaos suite). `start` formats the data
 * dir the first time and starts the broker again on the same ports and data afterwards; `stop`
 * sends `signal` (SIGKILL: a crash, SIGTERM: a controlled shutdown) and waits for the exit.
 */
export function createPrivateBroker({ dir, port, controllerPort }) {
  const broker = { ...brokerFiles(dir), port, controllerPort };
  const brokers = `127.0.0.1:${port}`;
  let pid;
  return {
    brokers,
    dir,
    pid: () => pid,
    async start() {
      if (pid && isAlive(pid)) throw new InfraError(`private broker pid ${pid} is already running`);
      await assertPortsFree([port, controllerPort]);
      await assertJava();
      await fetchJars();
      renderProperties(broker);
      await formatStorage(broker);
      pid = startBroker(broker);
      await awaitReady(pid, brokers, broker);
    },
    async stop(signalName = 'SIGTERM') {
      if (!pid) return;
      const stopping = pid;
      signal(stopping, signalName);
      const stopped = await waitFor(() => !isAlive(stopping), { timeoutMs: STOP_TIMEOUT_MS, intervalMs: 100 });
      if (!stopped) {
        signal(stopping, 'SIGKILL');
        await waitFor(() => !isAlive(stopping), { timeoutMs: 5_000, intervalMs: 100 });
      }
      rmSync(broker.pidFile, { force: true });
      pid = undefined;
    },
  };
}
