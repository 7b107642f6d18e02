import { ALERT_KINDS, type AlertKind, type Driver } from '@churnwatch/contract'
import { z } from 'zod'

// The plays alerts suggest, as data (ADR 0016): the scorer ships plays.default.json and PLAYS_FILE
// names a replacement. This module is pure: it validates a parsed document and applies it.

const playSchema = z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'must be a play name: lower-case letters, digits and _ (at most 64)')

const kindRuleSchema = z.union([
  z.strictObject({ play: playSchema }),
  z.strictObject({ from: z.enum(['driver', 'tenure', 'reason'], { error: "must be 'driver', 'tenure' or 'reason'" }) }),
])

const phraseSchema = z
  .string()
  .refine((s) => normaliseReason(s).length > 0, 'must hold at least one letter or digit')

export const playBookSchema = z
  .strictObject({
    $comment: z.string().optional(),
    kinds: z.strictObject(Object.fromEntries(ALERT_KINDS.map((k) => [k, kindRuleSchema])) as Record<AlertKind, typeof kindRuleSchema>),
    reasons: z.array(
      z.strictObject({
        category: playSchema,
        match: z.array(phraseSchema).min(1, 'must list at least one phrase'),
        play: playSchema,
      }),
    ),
    unknownReason: z.strictObject({ category: playSchema, play: playSchema }),
    drivers: z.array(z.strictObject({ features: z.array(z.string().min(1)).min(1, 'must list at least one feature'), play: playSchema })),
    tenure: z.strictObject({ newCustomerDays: z.int().min(0), newCustomerPlay: playSchema, otherwisePlay: playSchema }),
  })
  .superRefine((book, ctx) => {
    for (const kind of ALERT_KINDS) {
      const rule = book.kinds[kind]
      if ('from' in rule && rule.from === 'reason' && kind !== 'cancel_requested') {
        ctx.addIssue({ code: 'custom', path: ['kinds', kind, 'from'], message: "only cancel_requested carries a reason; use 'driver', 'tenure' or a play" })
      }
    }
    const seen = new Set<string>()
    book.reasons.forEach((r, i) => {
      if (seen.has(r.category) || r.category === book.unknownReason.category) {
        ctx.addIssue({ code: 'custom', path: ['reasons', i, 'category'], message: `category ${r.category} is listed twice` })
      }
      seen.add(r.category)
    })
  })

export type PlayBook = z.infer<typeof playBookSchema>

/** What a signal tells the play book: the strongest drivers, tenure and, for cancel_requested, the reason. */
export interface PlayContext {
  drivers: readonly Driver[]
  tenureDays: number
  reason?: string | null
}

export interface SuggestedPlay {
  play: string
  /** Set for kinds whose play follows the cancellation reason. */
  reasonCategory?: string
}

/**
 * A reason as matched: lower case, accents dropped, every run of characters other than letters and
 * digits one space ("Too_Expensive!" and "too expensive" both give "too expensive").
 */
export function normaliseReason(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim()
}

/**
 * The reason rule a free-text reason falls under: the first rule (in book order) one of whose
 * phrases starts at a word boundary of the normalised reason; unknownReason when none does, or
 * when the billing system sent no reason.
 */
export function matchReason(book: PlayBook, reason: string | null | undefined): { category: string; play: string } {
  const text = reason ? ` ${normaliseReason(reason)}` : ''
  if (text.trim().length > 0) {
    for (const rule of book.reasons) {
      if (rule.match.some((phrase) => text.includes(` ${normaliseReason(phrase)}`))) return { category: rule.category, play: rule.play }
    }
  }
  return book.unknownReason
}

/**
 * The customer-success play an alert suggests, from the play book: a fixed play, the reason's
 * play, the first driver rule naming the strongest risk-raising driver (else the tenure rule),
 * or the tenure rule (new customers: onboarding).
 */
export function suggestPlay(book: PlayBook, kind: AlertKind, context: PlayContext): SuggestedPlay {
  const rule = book.kinds[kind]
  if ('play' in rule) return { play: rule.play }
  if (rule.from === 'reason') {
    const matched = matchReason(book, context.reason)
    return { play: matched.play, reasonCategory: matched.category }
  }
  const byTenure = context.tenureDays < book.tenure.newCustomerDays ? book.tenure.newCustomerPlay : book.tenure.otherwisePlay
  if (rule.from === 'tenure') return { play: byTenure }
  const top = context.drivers.find((d) => d.contribution > 0)?.feature
  const byDriver = top === undefined ? undefined : book.drivers.find((d) => d.features.includes(top))
  return { play: byDriver?.play ?? byTenure }
}
