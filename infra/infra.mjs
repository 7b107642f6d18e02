#!/usr/bin/env node
// Starts, stops and reports the local Kafka + PostgreSQL that churnwatch runs and tests against. See infra/README.md.
import { spawn } from 'node:child_process';
import { dockerEngine } from './lib/docker.mjs';
import { DEFAULT_BROKERS, ensureKafka, kafkaVersion, ownBrokerPid, probeKafka, stopKafka } from './lib/kafka.mjs';
import { LOCAL_URL, embeddedPort, ensurePostgres, probePostgres, stopPostgres } from './lib/postgres.mjs';
import { ENV_FILE, InfraError, readJson, removeEnvFile, say, seconds, writeEnvFile } from './lib/util.mjs';

const USAGE = `usage: node infra/infra.mjs <command>
  up [--for-tests] [--pg-port N]   start or reuse Kafka and PostgreSQL, write .infra/env.json
  down                             stop what "up" started (reused services are left alone)
  status                           show what answers where; exit 1 unless both answer
  exec -- CMD [ARGS...]            run CMD with KAFKA_BROKERS and DATABASE_URL from .infra/env.json`;

function parseUpOptions(args) {
  const options = { forTests: false, pgPort: process.env.INFRA_PG_PORT ? Number(process.env.INFRA_PG_PORT) : undefined };
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] = args[i].split('=', 2);
    if (flag === '--for-tests') options.forTests = true;
    else if (flag === '--pg-port') options.pgPort = Number(inline ?? args[++i]);
    else throw new InfraError(`unknown option ${args[i]}\n${USAGE}`);
  }
  if (options.pgPort !== undefined && !(options.pgPort > 0 && options.pgPort < 65536)) {
    throw new InfraError('--pg-port / INFRA_PG_PORT must be a TCP port number');
  }
  return options;
}

/** Times one service's ensure step and prints one line about it. */
async function timed(name, ensure, where) {
  const started = Date.now();
  const result = await ensure();
  say(`${name.padEnd(9)}${result.action} ${where(result)} in ${seconds(Date.now() - started)}`);
  return result;
}

async function up(args) {
  const options = parseUpOptions(args);
  if (options.forTests && !process.env.KAFKA_BROKERS && !process.env.DATABASE_URL) {
    const engine = await dockerEngine();
    if (engine) {
      removeEnvFile();
      say(`docker engine reachable (${engine}): tests will use testcontainers; nothing started`);
      return 0;
    }
  }
  const [kafka, postgres] = await Promise.allSettled([
    timed('kafka', () => ensureKafka(), (r) => `${r.brokers}${r.started ? ` (Kafka ${kafkaVersion()}, ours)` : ''}`),
    timed('postgres', () => ensurePostgres({ embeddedPort: options.pgPort }), (r) => redact(r.url)),
  ]);
  const failures = [kafka, postgres].filter((r) => r.status === 'rejected').map((r) => r.reason);
  if (failures.length === 1) throw failures[0];
  if (failures.length) throw new InfraError(failures.map((e) => e.message).join('\ninfra: '));
  writeEnvFile({
    KAFKA_BROKERS: kafka.value.brokers,
    DATABASE_URL: postgres.value.url,
    startedKafka: kafka.value.started,
    startedPostgres: postgres.value.started,
  });
  return 0;
}

const redact = (url) => url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');

async function down() {
  const results = await Promise.allSettled([stopKafka(), stopPostgres()]);
  removeEnvFile();
  ['kafka', 'postgres'].forEach((name, i) => {
    const r = results[i];
    say(`${name.padEnd(9)}${r.status === 'fulfilled' ? r.value : `stop failed: ${r.reason.message}`}`);
  });
  return results.every((r) => r.status === 'fulfilled') ? 0 : 1;
}

async function status() {
  const env = { ...readJson(ENV_FILE), ...pick(process.env, ['KAFKA_BROKERS', 'DATABASE_URL']) };
  const brokers = env.KAFKA_BROKERS ?? DEFAULT_BROKERS;
  const url = env.DATABASE_URL ?? LOCAL_URL;
  const [kafka, postgres, pgPort] = await Promise.all([probeKafka(brokers), probePostgres(url), embeddedPort()]);
  const pid = ownBrokerPid();
  say(`kafka    ${brokers} ${kafka.ok ? `answers (${kafka.brokers} broker)` : `does not answer: ${kafka.error}`}${pid ? `; our broker pid ${pid}` : ''}`);
  say(`postgres ${redact(url)} ${postgres.ok ? 'answers' : `does not answer: ${postgres.error}`}${pgPort ? `; our embedded server on port ${pgPort}` : ''}`);
  if (!readJson(ENV_FILE)) say(`(no ${ENV_FILE}: run "node infra/infra.mjs up")`);
  return kafka.ok && postgres.ok ? 0 : 1;
}

const pick = (source, keys) => Object.fromEntries(keys.filter((k) => source[k]).map((k) => [k, source[k]]));

/** Runs a command with the infra env added (existing variables win) and mirrors its exit. */
function exec(args) {
  const command = args[0] === '--' ? args.slice(1) : args;
  if (!command.length) throw new InfraError(`exec needs a command\n${USAGE}`);
  const saved = readJson(ENV_FILE) ?? {};
  const env = { ...pick(saved, ['KAFKA_BROKERS', 'DATABASE_URL']), ...process.env };
  return new Promise((resolve, reject) => {
    const child = spawn(command[0], command.slice(1), { stdio: 'inherit', env });
    const forward = (signal) => child.kill(signal);
    ['SIGINT', 'SIGTERM', 'SIGHUP'].forEach((s) => process.on(s, forward));
    child.on('error', (err) =>
      reject(err.code === 'ENOENT' ? new InfraError(`${command[0]} not found (is it on PATH?)`) : err),
    );
    child.on('exit', (code, signal) => resolve(code ?? 128 + (signalNumber(signal) ?? 1)));
  });
}

const signalNumber = (signal) => ({ SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 })[signal];

const COMMANDS = { up, down, status, exec };

async function main([command, ...args]) {
  const handler = COMMANDS[command];
  if (!handler) {
    console.error(USAGE);
    return command ? 2 : 0;
  }
  return handler(args);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    console.error(err instanceof InfraError ? `infra: ${err.message}` : err);
    process.exit(1);
  },
);
