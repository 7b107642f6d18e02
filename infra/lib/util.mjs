// Shared helpers: paths, messages, child processes, waiting.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync, rmSync, mkdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const INFRA_DIR = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
export const ROOT = path.dirname(INFRA_DIR);
export const STATE_DIR = path.join(ROOT, '.infra');
export const ENV_FILE = path.join(STATE_DIR, 'env.json');

/** A failure with a message that says what failed and what to do; printed without a stack. */
export class InfraError extends Error {}

export const say = (line) => console.log(line);

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export const seconds = (ms) => `${(ms / 1000).toFixed(1)}s`;

export function ensureDir(dir) {
  mkdirSync(dir, { recursive: true });
  return dir;
}

export function readJson(file) {
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

export function writeEnvFile(env) {
  ensureDir(STATE_DIR);
  writeFileSync(ENV_FILE, `${JSON.stringify(env, null, 2)}\n`);
}

export function removeEnvFile() {
  rmSync(ENV_FILE, { force: true });
}

export function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

/** Command line of a running process (Linux /proc), or '' when unknown. */
export function commandLine(pid) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}

export function tail(file, lines = 30) {
  if (!existsSync(file)) return `(no ${file})`;
  return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}

/** Runs a command to completion, capturing output. `hint` turns "not found" into a clear message. */
export function run(cmd, args, { hint, onStdoutLine, ...options } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
    let stdout = '';
    let stderr = '';
    let partial = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      if (!onStdoutLine) return;
      const lines = (partial + chunk).split('\n');
      partial = lines.pop();
      lines.forEach(onStdoutLine);
    });
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', (err) =>
      reject(err.code === 'ENOENT' ? new InfraError(`${cmd} not found: ${hint ?? `install ${cmd}`}`) : err),
    );
    child.on('close', (code, signal) => resolve({ code: code ?? 128, signal, stdout, stderr }));
  });
}

/** True when something accepts TCP connections on host:port. */
export function portOpen(host, port, timeoutMs = 1000) {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (open) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Resolves with the first truthy value of `probe` within timeoutMs, or undefined. */
export async function waitFor(probe, { timeoutMs, intervalMs = 1000, onProgress, progressEveryMs = 5000 }) {
  const start = Date.now();
  let lastProgress = start;
  for (;;) {
    const value = await probe();
    if (value) return value;
    const now = Date.now();
    if (now - start >= timeoutMs) return undefined;
    if (onProgress && now - lastProgress >= progressEveryMs) {
      lastProgress = now;
      onProgress(now - start);
    }
    await sleep(intervalMs);
  }
}

/** Wraps a promise so it rejects after ms; kafkajs and pg can otherwise hang on a wrong peer. */
export function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
