// Types for the TypeScript callers of kafka.mjs (the chaos suite); infra itself is plain ESM.
export declare const DEFAULT_BROKERS: string
export declare function probeKafka(
  brokers: string,
  timeoutMs?: number,
): Promise<{ ok: true; brokers: number; clusterId: string } | { ok: false; error: string }>
export interface PrivateBroker {
  /** `127.0.0.1:<port>`, for KAFKA_BROKERS. */
  brokers: string
  dir: string
  pid: () => number | undefined
  start: () => Promise<void>
  stop: (signal?: NodeJS.Signals) => Promise<void>
}
export declare function createPrivateBroker(options: { dir: string; port: number; controllerPort: number }): PrivateBroker
