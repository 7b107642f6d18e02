import type { UserConfig } from 'vitest/config'
export declare function defineWorkspaceConfig(
  dir: string,
  overrides?: { unit?: Record<string, unknown>; int?: Record<string, unknown> },
): UserConfig
