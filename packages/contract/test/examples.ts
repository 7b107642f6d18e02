// The example events from docs (design.md "Event contract (v1)") plus valid output events.
import type { AlertEvent, DeadLetterEvent, FeaturesChangedEvent, RiskScoreEvent } from '../src/index.js'

export const designUsageEvent = {
  eventId: 'u-000123',
  customerId: 'acme',
  occurredAt: '2026-03-01T12:00:00Z',
  kind: 'usage',
  action: 'report_exported',
  quantity: 1,
  userId: 'u-7',
  properties: {},
} as const

export const designBillingEvent = {
  eventId: 'b-000045',
  customerId: 'acme',
  occurredAt: '2026-03-01T00:00:00Z',
  kind: 'billing',
  type: 'subscription_started',
  mrr: 4900,
  currency: 'USD',
  plan: 'pro',
  amount: 4900,
  reason: 'too_expensive',
  voluntary: true,
} as const

/** An annual renewal invoice with every contract term (Stripe's names). */
export const designRenewalInvoice = {
  eventId: 'b-000046',
  customerId: 'acme',
  occurredAt: '2026-03-01T00:00:05Z',
  kind: 'billing',
  type: 'invoice_paid',
  amount: 58800,
  currency: 'USD',
  interval: 'year',
  intervalCount: 1,
  currentPeriodEnd: '2027-03-01T00:00:00Z',
  cancelAtPeriodEnd: false,
} as const

export const designAccountEvent = {
  eventId: 'a-000007',
  customerId: 'acme',
  occurredAt: '2026-03-01T09:30:00Z',
  kind: 'account',
  name: 'Acme GmbH',
  segment: 'mid_market',
  industry: 'manufacturing',
  country: 'DE',
  ownerId: 'csm-12',
  employees: 240,
  attributes: { region: 'emea', nps: 31 },
} as const

export const exampleDrivers = [
  { feature: 'days_since_last_login', value: 21, contribution: 0.31, sentence: 'No logins in the last 21 days' },
  { feature: 'plan', value: 'pro', contribution: -0.05, sentence: 'Customers on pro churn less' },
  { feature: 'last_payment_status', value: null, contribution: 0, sentence: 'No payment recorded yet' },
]

export const exampleRiskScoreEvent: RiskScoreEvent = {
  eventId: 'rs-0001',
  customerId: 'acme',
  probability: 0.72,
  band: 'high',
  drivers: exampleDrivers,
  modelVersion: 'gbm-2026-03-01.1',
  asOf: '2026-03-22T00:00:00Z',
}

export const exampleAlertEvent: AlertEvent = {
  eventId: 'al-0001',
  alertId: 'alert-acme-risk_high-1',
  customerId: 'acme',
  kind: 'risk_high',
  status: 'open',
  probability: 0.72,
  revenueAtRisk: 3528,
  currency: 'USD',
  drivers: exampleDrivers,
  play: 'Call the account owner this week: usage fell and renewal is near',
  change: 'opened',
  createdAt: '2026-03-22T00:00:01Z',
  updatedAt: '2026-03-22T00:00:01Z',
}

export const exampleFeaturesChangedEvent: FeaturesChangedEvent = {
  eventId: 'fc-0001',
  customerId: 'acme',
  eventCount: 3,
  maxOccurredAt: '2026-03-01T12:00:00Z',
  changedAt: '2026-03-01T12:00:02.123+01:00',
}

export const exampleDeadLetterEvent: DeadLetterEvent = {
  eventId: 'dl-0001',
  topic: 'churn.usage.v1',
  partition: 2,
  offset: '9007199254740993',
  key: 'acme',
  originalBase64: 'eyJraW5kIjoidXNhZ2UifQ==',
  error: {
    code: 'CW_CONTRACT_INVALID_EVENT',
    message: 'eventId: is required',
    issues: [{ path: 'eventId', message: 'is required' }],
  },
  failedAt: '2026-03-01T12:00:03Z',
}
