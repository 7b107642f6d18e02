import { SingleBar } from 'cli-progress'

export interface Progress {
  /** Sets how much is done (same unit as the total) with an optional short detail. */
  update: (done: number, detail?: string) => void
  stop: () => void
}

export interface Output {
  info: (message: string) => void
  warn: (message: string) => void
  /** Writes data (CSV, tables) to stdout; messages and progress go to stderr. */
  data: (text: string) => void
  progress: (label: string, total: number, unit: string) => Progress
}

/**
 * Human output for the CLI: a progress bar on a terminal, a line every few seconds otherwise
 * (CI logs), so long work always shows it is moving.
 */
export function createOutput(options: { stdout: NodeJS.WritableStream; stderr: NodeJS.WriteStream | NodeJS.WritableStream; intervalMs?: number }): Output {
  const isTty = 'isTTY' in options.stderr && options.stderr.isTTY === true
  const intervalMs = options.intervalMs ?? 2_000
  return {
    info: (message) => options.stderr.write(`${message}\n`),
    warn: (message) => options.stderr.write(`warning: ${message}\n`),
    data: (text) => options.stdout.write(text),
    progress(label, total, unit) {
      // A bar needs a known total; open-ended work (total 0) prints periodic lines instead.
      if (isTty && total > 0) {
        const bar = new SingleBar(
          { format: `${label} [{bar}] {percentage}% | {value}/{total} ${unit} | {detail}`, stream: options.stderr, hideCursor: true },
        )
        bar.start(total, 0, { detail: '' })
        return { update: (done, detail = '') => bar.update(done, { detail }), stop: () => bar.stop() }
      }
      let last = 0
      let latest = 0
      const started = Date.now()
      const line = (detail = '') => {
        const pct = Math.min(100, Math.floor((latest / total) * 100))
        const amount = total > 0 ? `${latest}/${total} ${unit} (${pct}%)` : `${latest} ${unit}`
        options.stderr.write(`${label}: ${amount} ${detail}\n`)
      }
      return {
        update(done, detail) {
          latest = done
          if (Date.now() - last >= intervalMs) {
            last = Date.now()
            line(detail)
          }
        },
        stop() {
          line(`done in ${((Date.now() - started) / 1000).toFixed(1)} s`)
        },
      }
    },
  }
}
