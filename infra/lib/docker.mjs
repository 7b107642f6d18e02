// Is a Docker engine reachable (so tests can use testcontainers instead of local infra)?
import http from 'node:http';

const SOCKET = '/var/run/docker.sock';

/** Resolves a short reason string when an engine is reachable, else undefined. */
export async function dockerEngine(env = process.env) {
  if (env.DOCKER_HOST) return `DOCKER_HOST=${env.DOCKER_HOST}`;
  return (await pingSocket(SOCKET)) ? SOCKET : undefined;
}

function pingSocket(socketPath, timeoutMs = 2000) {
  return new Promise((resolve) => {
    const req = http.get({ socketPath, path: '/_ping', timeout: timeoutMs }, (res) => {
      let body = '';
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve(res.statusCode === 200 && body.trim() === 'OK'));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}
