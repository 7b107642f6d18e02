import pg from 'pg'

/** The channel migration 0009 notifies on every committed write to risk_scores. */
export const SCORE_CHANGES_CHANNEL = 'churnwatch_risk_scores'

export interface ScoreChangeListener {
  /** Customers whose current score row was inserted, updated or deleted by a committed transaction. */
  changed: (customerIds: string[]) => void
  /** risk_scores was truncated: every customer changed. */
  cleared: () => void
  /** The feed listens (again): writes committed while it did not were not seen. */
  listening: () => void
  /** The feed stopped listening (connection lost, heartbeat missed, bad payload); it reconnects by itself. */
  lost: (err: Error) => void
}

export interface ScoreChangeFeed {
  /** True while changes are being received. */
  readonly listening: boolean
  /** Adds a listener; returns its removal. */
  subscribe: (listener: ScoreChangeListener) => () => void
  close: () => Promise<void>
}

export interface ScoreChangeFeedOptions {
  connectionString: string
  applicationName?: string
  /** How often the feed notifies itself to prove the connection still delivers (default 5 s). */
  heartbeatMs?: number
  /** Wait before reconnecting after a loss (default 1 s). */
  reconnectMs?: number
}

/**
 * Listens for risk_scores changes on a dedicated connection (LISTEN cannot share a pooled one).
 * A connection can die without an error reaching us, so the feed notifies itself every
 * heartbeatMs and counts as lost when the previous heartbeat has not come back by the next one.
 * After any loss it reconnects; listeners hear `lost` then `listening`, and must treat everything
 * in between as possibly changed.
 */
export function listenForScoreChanges(options: ScoreChangeFeedOptions): ScoreChangeFeed {
  const heartbeatMs = options.heartbeatMs ?? 5_000
  const reconnectMs = options.reconnectMs ?? 1_000
  const listeners = new Set<ScoreChangeListener>()
  let client: pg.Client | undefined
  let listening = false
  let closed = false
  let beat = 0
  let beatAnswered = true
  let reconnectTimer: NodeJS.Timeout | undefined
  const emit = <K extends keyof ScoreChangeListener>(event: K, ...args: Parameters<ScoreChangeListener[K]>): void => {
    for (const listener of listeners) (listener[event] as (...a: Parameters<ScoreChangeListener[K]>) => void)(...args)
  }

  function lose(from: pg.Client, err: Error): void {
    if (from !== client) return
    client = undefined
    from.end().catch(() => undefined)
    if (listening) {
      listening = false
      emit('lost', err)
    }
    if (!closed) reconnectTimer = setTimeout(connect, reconnectMs)
  }

  function connect(): void {
    reconnectTimer = undefined
    if (closed) return
    const c = new pg.Client({ connectionString: options.connectionString, application_name: options.applicationName ?? 'churnwatch-score-changes', connectionTimeoutMillis: 10_000 })
    client = c
    c.on('error', (err) => lose(c, err))
    c.on('end', () => lose(c, new Error('the score-change connection ended')))
    c.on('notification', (message) => {
      if (c !== client || message.channel !== SCORE_CHANGES_CHANNEL) return
      const payload = message.payload ?? ''
      if (payload === 'cleared') {
        emit('cleared')
        return
      }
      // Heartbeats (ours and other listeners') are the only other payloads that are not arrays.
      if (!payload.startsWith('[')) {
        if (payload === heartbeatPayload(c, beat)) beatAnswered = true
        return
      }
      let ids: unknown
      try {
        ids = JSON.parse(payload)
      } catch {
        ids = undefined
      }
      if (!Array.isArray(ids) || !ids.every((id) => typeof id === 'string')) {
        lose(c, new Error(`unreadable ${SCORE_CHANGES_CHANNEL} payload: ${payload.slice(0, 80)}`))
        return
      }
      emit('changed', ids)
    })
    c.connect()
      .then(() => c.query(`LISTEN ${SCORE_CHANGES_CHANNEL}`))
      .then(
        () => {
          if (c !== client) return
          beatAnswered = true
          listening = true
          emit('listening')
        },
        (err: unknown) => lose(c, err instanceof Error ? err : new Error(String(err))),
      )
  }

  const heartbeat = setInterval(() => {
    const c = client
    if (!c || !listening) return
    if (!beatAnswered) {
      lose(c, new Error(`no heartbeat on ${SCORE_CHANGES_CHANNEL} within ${heartbeatMs} ms`))
      return
    }
    beatAnswered = false
    beat++
    c.query('SELECT pg_notify($1, $2)', [SCORE_CHANGES_CHANNEL, heartbeatPayload(c, beat)]).catch((err: unknown) =>
      lose(c, err instanceof Error ? err : new Error(String(err))),
    )
  }, heartbeatMs)
  heartbeat.unref()

  connect()
  return {
    get listening() {
      return listening
    },
    subscribe(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    async close() {
      closed = true
      clearInterval(heartbeat)
      if (reconnectTimer) clearTimeout(reconnectTimer)
      const c = client
      client = undefined
      listening = false
      await c?.end().catch(() => undefined)
    },
  }
}

function heartbeatPayload(c: pg.Client, beat: number): string {
  // processID is set once connected: it tells this connection's heartbeats from other listeners'.
  return `heartbeat ${(c as pg.Client & { processID?: number }).processID ?? 0} ${beat}`
}
