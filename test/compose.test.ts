import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

const ROOT = join(import.meta.dirname, '..')

// `docker compose config -q` needs only the client. Where the v2 plugin is missing (Debian's
// docker.io client here), Debian's docker-compose validates the same file format.
function composeCommand(): string[] | undefined {
  const candidates = [['docker', 'compose'], ['docker-compose']]
  return candidates.find(([cmd, ...args]) => spawnSync(cmd ?? '', [...args, 'version'], { stdio: 'ignore' }).status === 0)
}

describe('docker-compose.yml', () => {
  it('passes `docker compose config -q`', { timeout: 60_000 }, () => {
    const command = composeCommand()
    if (!command) throw new Error('no docker compose client: install the compose plugin or `apt-get install docker-compose`')
    const [cmd = '', ...args] = command
    const result = spawnSync(cmd, [...args, '-f', join(ROOT, 'docker-compose.yml'), 'config', '-q'], { encoding: 'utf8' })
    expect(result.stderr).toBe('')
    expect(result.status).toBe(0)
  })

  it('runs every service that has a main entry point', () => {
    const compose = readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8')
    // The CLI is a command, not a deployable.
    const services = readdirSync(join(ROOT, 'services')).filter((s) => s !== 'cli' && existsSync(join(ROOT, 'services', s, 'src', 'main.ts')))
    expect(services.length).toBeGreaterThan(0)
    for (const service of services) expect(compose).toContain(`services/${service}/dist/main.js`)
  })
})
