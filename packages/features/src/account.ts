import type { AccountEvent } from '@churnwatch/contract'
import type { AccountRecord, CustomerHistory } from './history.js'
import { toEpochMs } from './time.js'

/** The descriptive fields of an account event, each kept as the latest value at or before T. */
export const ACCOUNT_FIELDS = ['name', 'segment', 'industry', 'country', 'ownerId', 'employees'] as const
export type AccountField = (typeof ACCOUNT_FIELDS)[number]

/** A customer's account attributes as of one instant. */
export interface AccountState {
  name: string | null
  segment: string | null
  industry: string | null
  country: string | null
  ownerId: string | null
  employees: number | null
  attributes: Record<string, string | number>
  /** occurredAt of the latest account event applied (epoch ms); null when none was. */
  updatedAt: number | null
}

/** The stored form of an account event: epoch-ms time and only the fields that were sent. */
export function toAccountRecord(e: AccountEvent): AccountRecord {
  const record: AccountRecord = { eventId: e.eventId, occurredAt: toEpochMs(e.occurredAt) }
  copySentFields(record, e)
  if (e.attributes !== undefined) record.attributes = { ...e.attributes }
  return record
}

/**
 * The account attributes as of `asOf` (epoch ms): account events with occurredAt <= asOf applied in
 * event-time order (ties by eventId). A field absent from a later event keeps its earlier value;
 * null clears it. Attributes merge key by key the same way.
 */
export function accountAsOf(history: Pick<CustomerHistory, 'accounts'>, asOf: number): AccountState {
  const state: AccountState = {
    name: null,
    segment: null,
    industry: null,
    country: null,
    ownerId: null,
    employees: null,
    attributes: {},
    updatedAt: null,
  }
  // A Map, then Object.fromEntries: a "__proto__" key stays a plain key.
  const attributes = new Map<string, string | number>()
  const applicable = (history.accounts ?? []).filter((a) => a.occurredAt <= asOf)
  applicable.sort((a, b) => a.occurredAt - b.occurredAt || (a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0))
  for (const a of applicable) {
    copySentFields(state, a)
    for (const [key, value] of Object.entries(a.attributes ?? {})) {
      if (value === null) attributes.delete(key)
      else attributes.set(key, value)
    }
    state.updatedAt = a.occurredAt
  }
  state.attributes = Object.fromEntries(attributes)
  return state
}

type AccountFields = { [F in AccountField]?: AccountRecord[F] }

/** Copies each descriptive field the source sent (null included) onto the target; absent ones are left alone. */
function copySentFields(target: AccountFields, source: AccountFields): void {
  for (const field of ACCOUNT_FIELDS) {
    const value = source[field]
    // Each field has the same type on both sides; TypeScript cannot correlate them across the loop.
    if (value !== undefined) (target as Record<AccountField, unknown>)[field] = value
  }
}
