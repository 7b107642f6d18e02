// Types for the TypeScript callers of postgres.mjs (the chaos suite); infra itself is plain ESM.
export declare const DATABASE: string
export declare function probePostgres(url: string, timeoutMs?: number): Promise<{ ok: boolean; error?: string; code?: string }>
export interface PrivatePostgres {
  dir: string
  port: number
  url: (database?: string) => string
  running: () => Promise<boolean>
  start: () => Promise<void>
  stop: (mode?: 'smart' | 'fast' | 'immediate') => Promise<void>
}
export declare function createPrivatePostgres(options: { dir: string; port: number }): PrivatePostgres
