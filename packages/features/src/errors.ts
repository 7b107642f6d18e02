import { ChurnwatchError, type ErrorCode } from '@churnwatch/contract'

/** Codes raised by the features package; none is retriable (the caller asked for something the code cannot give). */
export const FEATURE_ERROR_CODES = {
  /** A feature set names a feature the registry has no definition for. */
  unknownFeature: 'CW_FEATURES_UNKNOWN_FEATURE',
  /** A row was asked for a feature its vector has no value for. */
  missingValue: 'CW_FEATURES_MISSING_VALUE',
} as const satisfies Record<string, ErrorCode>

export function featureError(code: ErrorCode, message: string): ChurnwatchError {
  return new ChurnwatchError(code, message, { retriable: false })
}
