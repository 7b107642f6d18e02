import { ChurnwatchError, type ErrorCode } from '@churnwatch/contract'

/** Codes raised by the model package; none is retriable (the input or artifact is wrong). */
export const MODEL_ERROR_CODES = {
  /** Training rows, labels or groups disagree in shape or hold non-finite values. */
  invalidTrainingSet: 'CW_MODEL_INVALID_TRAINING_SET',
  /** Training options out of range. */
  invalidOptions: 'CW_MODEL_INVALID_OPTIONS',
  /** Rows passed to predict/explain do not match the model's feature count. */
  invalidInput: 'CW_MODEL_INVALID_INPUT',
  /** Bytes that are not a model this version can read. */
  invalidArtifact: 'CW_MODEL_INVALID_ARTIFACT',
} as const satisfies Record<string, ErrorCode>

/** A non-retriable ChurnwatchError with one of the codes above. */
export function modelError(code: ErrorCode, message: string, cause?: unknown): ChurnwatchError {
  return new ChurnwatchError(code, message, { retriable: false, cause })
}
