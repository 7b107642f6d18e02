import type { AsOfFacts } from './as-of.js'
import type { FeatureDefinition, FeatureFamily } from './definitions.js'
import { countOf, formatCount } from './sentences.js'

/** The categorical inputs: segment, industry and country from account events, the plan from billing. */
export const CATEGORICAL_ATTRIBUTES = ['segment', 'plan', 'industry', 'country'] as const
export type CategoricalAttribute = (typeof CATEGORICAL_ATTRIBUTES)[number]

/** A customer's normalised category of each attribute as of T; null when none was sent (or it was cleared). */
export type CategoryValues = Record<CategoricalAttribute, string | null>

/**
 * The one normal form of a category, used wherever one is read or compared: trimmed, inner
 * whitespace collapsed to one space, lower case (locale-independent). Blank is no category (null).
 */
export function normaliseCategory(value: string | null | undefined): string | null {
  if (value === null || value === undefined) return null
  const normal = value.trim().replace(/\s+/g, ' ').toLowerCase()
  return normal === '' ? null : normal
}

// Facts are read-only once gathered: each row's categories are normalised once, not once per column.
const categoriesByFacts = new WeakMap<object, CategoryValues>()

/** The customer's category of each attribute as of the facts' T (account events at or before T; the plan at T). */
export function categoriesOf(facts: Pick<AsOfFacts, 'account' | 'subscription'>): CategoryValues {
  let categories = categoriesByFacts.get(facts)
  if (categories === undefined) {
    categories = {
      segment: normaliseCategory(facts.account.segment),
      plan: normaliseCategory(facts.subscription.plan),
      industry: normaliseCategory(facts.account.industry),
      country: normaliseCategory(facts.account.country),
    }
    categoriesByFacts.set(facts, categories)
  }
  return categories
}

/** The one-hot feature name of one category, e.g. `segment=enterprise` (the category normalised). */
export function categoryFeatureName(attribute: CategoricalAttribute, category: string): string {
  return `${attribute}=${normaliseCategory(category) ?? ''}`
}

// Country codes read as codes ("DE"); anything else as sent, normalised.
const shown = (attribute: CategoricalAttribute, category: string): string =>
  attribute === 'country' && /^[a-z]{2,3}$/.test(category) ? category.toUpperCase() : category

const SENTENCES: Record<CategoricalAttribute, (category: string, is: boolean) => string> = {
  segment: (c, is) => `Segment is ${is ? '' : 'not '}${c}`,
  plan: (c, is) => `${is ? 'On' : 'Not on'} the ${c} plan`,
  industry: (c, is) => `Industry is ${is ? '' : 'not '}${c}`,
  country: (c, is) => `Country is ${is ? '' : 'not '}${c}`,
}

const DESCRIPTIONS: Record<CategoricalAttribute, string> = {
  segment: 'the account segment (latest account event at or before T)',
  plan: 'the subscription plan (billing, as of T)',
  industry: 'the account industry (latest account event at or before T)',
  country: 'the account country (latest account event at or before T)',
}

/**
 * One 0/1 feature per category of `attribute` chosen at training time (`segment=enterprise`):
 * 1 when the customer's normalised category as of T is that one. A category without a column
 * (rare at training, never seen, or none sent) is all zeros: "other".
 */
export function categoryFamily(attribute: CategoricalAttribute): FeatureFamily {
  return {
    prefix: `${attribute}=`,
    define: (parameter): FeatureDefinition => {
      const category = normaliseCategory(parameter) ?? ''
      return {
        name: `${attribute}=${parameter}`,
        description: `1 when ${DESCRIPTIONS[attribute]} is '${category}', else 0`,
        unit: 'flag',
        heavyTailed: false,
        compute: (facts) => (categoriesOf(facts)[attribute] === category ? 1 : 0),
        sentence: ({ value }) => SENTENCES[attribute](shown(attribute, category), value >= 0.5),
        // "Not on the pro plan" is true but explains little, and every customer outside a category
        // would carry it (ADR 0012): a driver only where the customer is in the category.
        shownAsDriver: (value) => value >= 0.5,
      }
    },
  }
}

/** The one-hot families of every categorical attribute, in CATEGORICAL_ATTRIBUTES order. */
export const CATEGORY_FAMILIES: readonly FeatureFamily[] = CATEGORICAL_ATTRIBUTES.map(categoryFamily)

/**
 * Employees as of T: the latest `employees` of the account events at or before T. Unknown (never
 * sent, or cleared) is 0: below every real headcount, which trees split off and log1p maps to 0.
 */
export const EMPLOYEES_FEATURE: FeatureDefinition = {
  name: 'employees',
  description: 'employees of the account (latest account event at or before T; 0 when not known)',
  unit: 'count',
  heavyTailed: true,
  compute: (facts) => facts.account.employees ?? 0,
  sentence: ({ value, typical }) =>
    value === 0 ? 'Company size not known' : `${countOf(value, 'employee')} at the company, against ${formatCount(typical)} typically`,
}

/** How many rows and customers a category needs for its own column, and how many columns an attribute may get. */
export interface CategorySelectionOptions {
  /** Share of the set's customers that had the category at some observation; default 0.01. */
  minCustomerShare?: number
  /** Rows with the category, and rows without it (a column needs both sides to learn from); default 30. */
  minRows?: number
  /** Columns per attribute at most, the most frequent first; default 20. */
  maxPerAttribute?: number
}

export const CATEGORY_SELECTION_DEFAULTS: Required<CategorySelectionOptions> = { minCustomerShare: 0.01, minRows: 30, maxPerAttribute: 20 }

/**
 * The one-hot feature names a new model gets, chosen from the training rows' categories (label-free):
 * a category is kept when at least `minCustomerShare` of the rows' customers and `minRows` rows
 * have it and at least `minRows` rows do not; at most `maxPerAttribute` per attribute, the most
 * frequent (ties by name). Everything else is grouped as "other" (all zeros). Ordered by attribute
 * (CATEGORICAL_ATTRIBUTES), then category name.
 */
export function chooseCategoryFeatures(
  rows: Iterable<{ customerId: string; categories: CategoryValues }>,
  options: CategorySelectionOptions = {},
): string[] {
  const { minCustomerShare, minRows, maxPerAttribute } = { ...CATEGORY_SELECTION_DEFAULTS, ...options }
  const counts = new Map<CategoricalAttribute, Map<string, { rows: number; customers: Set<string> }>>(CATEGORICAL_ATTRIBUTES.map((a) => [a, new Map()]))
  const customers = new Set<string>()
  let total = 0
  for (const row of rows) {
    total++
    customers.add(row.customerId)
    for (const attribute of CATEGORICAL_ATTRIBUTES) {
      const category = normaliseCategory(row.categories[attribute])
      if (category === null) continue
      const byCategory = counts.get(attribute) as Map<string, { rows: number; customers: Set<string> }>
      const count = byCategory.get(category) ?? { rows: 0, customers: new Set<string>() }
      count.rows++
      count.customers.add(row.customerId)
      byCategory.set(category, count)
    }
  }
  const names: string[] = []
  for (const attribute of CATEGORICAL_ATTRIBUTES) {
    const kept = [...(counts.get(attribute) ?? new Map<string, { rows: number; customers: Set<string> }>()).entries()]
      .filter(([, c]) => c.rows >= minRows && total - c.rows >= minRows && c.customers.size >= minCustomerShare * customers.size)
      .sort((a, b) => b[1].rows - a[1].rows || (a[0] < b[0] ? -1 : 1))
      .slice(0, maxPerAttribute)
      .map(([category]) => category)
    // By name, so that row sets with the same categories (another observation grid) give the same column order.
    for (const category of kept.sort()) names.push(categoryFeatureName(attribute, category))
  }
  return names
}

/**
 * The 0/1 values of one-hot `names` for one row's categories: the same comparison as the family's
 * compute, for training rows whose categories were gathered before the columns were chosen.
 */
export function categoryColumns(categories: CategoryValues, names: readonly string[]): number[] {
  return names.map((name) => {
    const at = name.indexOf('=')
    const attribute = name.slice(0, at) as CategoricalAttribute
    return normaliseCategory(categories[attribute]) === (normaliseCategory(name.slice(at + 1)) ?? '') ? 1 : 0
  })
}
