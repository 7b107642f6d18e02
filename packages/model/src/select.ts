import { ACTION_FEATURE_PREFIX } from '@churnwatch/features'
import { fitPlatt } from './calibration.js'
import { MODEL_ERROR_CODES, modelError } from './errors.js'
import { averagePrecision, evaluate, logLoss, rocAuc, topDecile } from './evaluate.js'
import { fitGbdtPath, refitGbdt } from './gbdt.js'
import { fitLogistic } from './logistic.js'
import type { GbdtModel, LogisticModel, Model, PlattScaling, Tree, TrainingSummary } from './model.js'
import { classWeights, resolveOptions, type GbdtHyperparameters, type LogisticHyperparameters } from './options.js'
import { rawScores } from './predict.js'
import { createRng, shuffleInPlace } from './random.js'
import type { TrainingLog, TrainResult } from './train.js'
import { designMatrix, gatherLabels, gatherRows } from './train.js'
import { assertTrainingSet, type TrainingSet } from './training-set.js'
import { featureMedians, fitTransforms } from './transforms.js'

/** One point of the selection grid: a family and the hyperparameters selection may vary. */
export type Candidate =
  | { kind: 'logistic'; learningRate: number; l2: number }
  | { kind: 'gbdt'; learningRate: number; maxDepth: number; minSamplesLeaf: number; l2: number }

/**
 * The default grid (ADR 0011): logistic regression as it trains today, the GBDT as it trains
 * today, and four GBDT variants that each move one thing the issue names: a slower learning
 * rate, shallower and more regularised trees, deeper trees held back by big leaves and L2, and
 * both slow and deep. Six candidates keep `train --model auto` within minutes on two cores.
 */
export const AUTO_CANDIDATES: readonly Candidate[] = [
  { kind: 'logistic', learningRate: 0.05, l2: 1e-4 },
  { kind: 'gbdt', learningRate: 0.1, maxDepth: 4, minSamplesLeaf: 50, l2: 1 },
  { kind: 'gbdt', learningRate: 0.05, maxDepth: 4, minSamplesLeaf: 50, l2: 1 },
  { kind: 'gbdt', learningRate: 0.1, maxDepth: 3, minSamplesLeaf: 100, l2: 10 },
  { kind: 'gbdt', learningRate: 0.1, maxDepth: 6, minSamplesLeaf: 200, l2: 10 },
  { kind: 'gbdt', learningRate: 0.05, maxDepth: 6, minSamplesLeaf: 200, l2: 10 },
]

export interface SelectionOptions {
  /** Seeds the customer partition, the calibration slice and GBDT row subsampling. Default 1. */
  seed?: number
  /** Time folds (the last `folds` observation dates); grouped folds when dates are too few. Default 3. */
  folds?: number
  /** No GBDT (fold or final) has fewer trees: early stopping is not considered before this round. Default 50. */
  minRounds?: number
  /** The most boosting rounds a fold may grow. Default 400. */
  maxRounds?: number
  /** Rounds without validation improvement before a fold stops. Default 30. */
  earlyStoppingRounds?: number
  /** Share of customers held out of the final fit to fit Platt scaling on. Default 0.15. */
  calibrationFraction?: number
  candidates?: readonly Candidate[]
  /**
   * After the first fold, candidates whose log loss exceeds the best by more than this share stop
   * (the best of each family always goes on). Default 0.02; Infinity runs every candidate on every fold.
   */
  pruneMargin?: number
  onProgress?: (progress: SelectionProgress) => void
}

export interface SelectionProgress {
  candidate: string
  /** 1-based fold just finished, of `folds`; `done` of `total` fold fits (plus one for the final fit). */
  fold: number
  folds: number
  done: number
  total: number
}

/** One validation fold: row indices (ascending) to fit on and to validate on. */
export interface Fold {
  /** The first observation time validated on (time folds: that time and later), null for grouped folds. */
  validationTime: number | null
  fit: Int32Array
  validation: Int32Array
}

export interface FoldPlan {
  strategy: 'time' | 'grouped'
  /** Why this strategy, for the report. */
  note: string
  folds: Fold[]
}

export interface FoldMetrics {
  /** The fold's own best round (GBDT, >= minRounds) or epoch (logistic). */
  bestIteration: number
  iterations: number
  /** At the candidate's common round count, Platt scaling cross-fitted within the fold. */
  logLoss: number
  rocAuc: number | null
  prAuc: number | null
  topDecileLift: number | null
}

export interface CandidateReport {
  name: string
  candidate: Candidate
  /** Dropped after the first fold (its metrics are that fold's only); never chosen. */
  pruned: boolean
  /** Rounds (GBDT) or epochs (logistic) of the final fit: the median of the folds' best, at least minRounds for GBDT. */
  rounds: number
  folds: FoldMetrics[]
  mean: { logLoss: number; rocAuc: number | null; prAuc: number | null; topDecileLift: number | null }
}

/** What selection did, stored with the model (training JSON) and printed by the CLI. */
export interface SelectionReport {
  criterion: string
  strategy: FoldPlan['strategy']
  strategyNote: string
  seed: number
  minRounds: number
  maxRounds: number
  pruneMargin: number
  rows: number
  folds: Array<{ validationTime: number | null; fitRows: number; validationRows: number; validationPositives: number }>
  candidates: CandidateReport[]
  chosen: { name: string; candidate: Candidate; rounds: number }
  reason: string
}

export interface SelectionResult extends TrainResult {
  selection: SelectionReport
}

/** The logistic folds' epoch budget (the logistic default). */
const LOGISTIC_EPOCHS = 400

const CRITERION = 'lowest mean validation log loss over the folds (Platt scaling cross-fitted within each fold)'

/** A short, stable label for a candidate, e.g. `gbdt lr=0.1 depth=4 leaf=50 l2=1`. */
export function candidateName(candidate: Candidate): string {
  return candidate.kind === 'logistic'
    ? `logistic lr=${candidate.learningRate} l2=${candidate.l2}`
    : `gbdt lr=${candidate.learningRate} depth=${candidate.maxDepth} leaf=${candidate.minSamplesLeaf} l2=${candidate.l2}`
}

/**
 * Validation folds over `times` (one observation time per row, e.g. epoch ms). Time folds: the
 * customers are split into `folds` seeded parts; fold k starts at the k-th of the last `folds`
 * distinct times t_k, validates on part k's rows at t_k and later, and fits on the other parts'
 * rows strictly before t_k, so validation always comes after everything fitted and no customer is
 * on both sides. (Validating part k from t_k on, not at t_k alone, doubles the validation churners
 * for three folds: the small-population instability the folds are there to cure.)
 * Fewer than folds + 1 distinct times, or a time fold without churners on both sides: grouped
 * folds (part k validates, the other parts fit, all times), which keep customers apart but not time.
 */
export function planFolds(set: TrainingSet, times: ArrayLike<number>, options: { folds: number; seed: number }): FoldPlan {
  const { n } = set
  if (times.length !== n) throw modelError(MODEL_ERROR_CODES.invalidTrainingSet, `invalid training set: ${times.length} times for ${n} rows`)
  const k = options.folds
  if (!Number.isInteger(k) || k < 2) throw modelError(MODEL_ERROR_CODES.invalidOptions, 'invalid selection options: folds must be an integer >= 2')
  const part = groupParts(set, k, options.seed)
  const distinct = Array.from(new Set(Array.from(times))).sort((a, b) => a - b)
  if (distinct.length >= k + 1) {
    const folds: Fold[] = []
    for (let f = 0; f < k; f++) {
      const t = distinct[distinct.length - k + f] as number
      const fit: number[] = []
      const validation: number[] = []
      for (let i = 0; i < n; i++) {
        const time = times[i] as number
        if (part[i] === f) {
          if (time >= t) validation.push(i)
        } else if (time < t) fit.push(i)
      }
      folds.push({ validationTime: t, fit: Int32Array.from(fit), validation: Int32Array.from(validation) })
    }
    if (folds.every((fold) => hasBothClasses(set, fold.fit) && hasBothClasses(set, fold.validation))) {
      return { strategy: 'time', note: `${k} expanding-window folds from the last ${k} of ${distinct.length} observation dates`, folds }
    }
    return grouped(set, part, k, `a time fold had no churners (or no retained rows) on one side, so ${k} grouped folds over all dates`)
  }
  return grouped(set, part, k, `${distinct.length} observation dates are too few for ${k} time folds (need ${k + 1}), so ${k} grouped folds over all dates`)
}

function grouped(set: TrainingSet, part: Uint8Array, k: number, note: string): FoldPlan {
  const folds: Fold[] = []
  for (let f = 0; f < k; f++) {
    const fit: number[] = []
    const validation: number[] = []
    for (let i = 0; i < set.n; i++) (part[i] === f ? validation : fit).push(i)
    const fold = { validationTime: null, fit: Int32Array.from(fit), validation: Int32Array.from(validation) }
    if (!hasBothClasses(set, fold.fit)) {
      throw modelError(MODEL_ERROR_CODES.invalidTrainingSet, 'invalid training set: a validation fold left no churned or no retained rows to fit on')
    }
    folds.push(fold)
  }
  return { strategy: 'grouped', note, folds }
}

// Part (0..k-1) of each row's group from a seeded shuffle of the groups sorted by id, so the
// partition depends on the seed and the groups, not on the row order.
function groupParts(set: TrainingSet, k: number, seed: number): Uint8Array {
  const ids = set.groups === undefined ? Int32Array.from({ length: set.n }, (_, i) => i) : Int32Array.from(new Set(set.groups)).sort()
  const order = Int32Array.from(ids)
  shuffleInPlace(order, createRng(seed + 0x51ed27))
  const partOf = new Map<number, number>()
  for (let p = 0; p < order.length; p++) partOf.set(order[p] as number, p % k)
  const out = new Uint8Array(set.n)
  for (let i = 0; i < set.n; i++) out[i] = partOf.get(set.groups === undefined ? i : (set.groups[i] as number)) as number
  return out
}

function hasBothClasses(set: TrainingSet, rows: Int32Array): boolean {
  let positives = 0
  for (let r = 0; r < rows.length; r++) positives += set.labels[rows[r] as number] as number
  return positives > 0 && positives < rows.length
}

/**
 * Chooses the model family and hyperparameters on validation folds only, then fits the chosen
 * candidate on every training row but a calibration slice, for the rounds the folds agreed on,
 * and calibrates it on that slice. The caller passes only rows it does not report on (ADR 0011).
 * Deterministic for a given seed. Logistic candidates run on the caller's tfjs backend.
 */
export async function selectModel(set: TrainingSet, times: ArrayLike<number>, options: SelectionOptions = {}): Promise<SelectionResult> {
  assertTrainingSet(set)
  const seed = options.seed ?? 1
  const minRounds = options.minRounds ?? 50
  const maxRounds = options.maxRounds ?? 400
  const earlyStoppingRounds = options.earlyStoppingRounds ?? 30
  const calibrationFraction = options.calibrationFraction ?? 0.15
  const candidates = options.candidates ?? AUTO_CANDIDATES
  const pruneMargin = options.pruneMargin ?? 0.02
  if (!Number.isInteger(seed)) throw invalidOption('seed must be an integer')
  if (!Number.isInteger(minRounds) || minRounds < 1) throw invalidOption('minRounds must be a positive integer')
  if (!Number.isInteger(maxRounds) || maxRounds < minRounds) throw invalidOption('maxRounds must be an integer >= minRounds')
  if (!(calibrationFraction > 0 && calibrationFraction < 0.5)) throw invalidOption('calibrationFraction must be in (0, 0.5)')
  if (candidates.length === 0) throw invalidOption('candidates must not be empty')
  if (!(pruneMargin >= 0)) throw invalidOption('pruneMargin must be >= 0')

  const plan = planFolds(set, times, { folds: options.folds ?? 3, seed })
  const settings = { seed, maxRounds, earlyStoppingRounds, minRounds }
  const names = candidates.map(candidateName)
  const fits: FoldFit[][] = candidates.map(() => [])
  let total = candidates.length * plan.folds.length + 1
  let done = 0
  const progress = (c: number, f: number) => {
    done++
    options.onProgress?.({ candidate: names[c] as string, fold: f + 1, folds: plan.folds.length, done, total })
  }
  // Fold 1 (the earliest validation date, the smallest fit) for every candidate first; then only
  // the survivors (the best of each family and any within pruneMargin of the best) go on.
  for (let c = 0; c < candidates.length; c++) {
    ;(fits[c] as FoldFit[]).push(await fitFold(set, plan.folds[0] as Fold, candidates[c] as Candidate, settings))
    progress(c, 0)
  }
  const first = candidates.map((candidate, c) => {
    const fit = (fits[c] as FoldFit[])[0] as FoldFit
    return scoreFold(set, plan.folds[0] as Fold, fit, fit.bestIteration, seed).metrics.logLoss
  })
  const survives = candidates.map((candidate, c) => {
    const loss = first[c] as number
    const bestOverall = Math.min(...first)
    const bestOfFamily = Math.min(...first.filter((_, o) => (candidates[o] as Candidate).kind === candidate.kind))
    return loss === bestOfFamily || loss <= bestOverall * (1 + pruneMargin)
  })
  total -= survives.filter((s) => !s).length * (plan.folds.length - 1)
  for (let f = 1; f < plan.folds.length; f++) {
    for (let c = 0; c < candidates.length; c++) {
      if (!survives[c]) continue
      ;(fits[c] as FoldFit[]).push(await fitFold(set, plan.folds[f] as Fold, candidates[c] as Candidate, settings))
      progress(c, f)
    }
  }

  const reports: CandidateReport[] = []
  const outOfFold: Array<{ labels: Uint8Array; probabilities: Float64Array }[]> = []
  for (let c = 0; c < candidates.length; c++) {
    const candidate = candidates[c] as Candidate
    const candidateFits = fits[c] as FoldFit[]
    const rounds = commonRounds(candidateFits, candidate.kind === 'gbdt' ? minRounds : 1)
    const scored = candidateFits.map((fit, f) => scoreFold(set, plan.folds[f] as Fold, fit, rounds, seed))
    const folds = scored.map((s) => s.metrics)
    reports.push({
      name: names[c] as string,
      candidate,
      pruned: !survives[c],
      rounds,
      folds,
      mean: {
        logLoss: mean(folds.map((m) => m.logLoss)) ?? Number.NaN,
        rocAuc: mean(folds.map((m) => m.rocAuc)),
        prAuc: mean(folds.map((m) => m.prAuc)),
        topDecileLift: mean(folds.map((m) => m.topDecileLift)),
      },
    })
    outOfFold.push(scored.map((s) => s.predictions))
  }

  // Among candidates that ran every fold; strictly lower wins, so a tie keeps the one listed first.
  let best = -1
  for (let c = 0; c < reports.length; c++) {
    const report = reports[c] as CandidateReport
    if (report.pruned) continue
    if (best < 0 || report.mean.logLoss < (reports[best] as CandidateReport).mean.logLoss) best = c
  }
  const chosen = reports[best] as CandidateReport
  const budget = chosen.candidate.kind === 'gbdt' ? maxRounds : LOGISTIC_EPOCHS
  const final = await fitFinal(set, chosen, { seed, calibrationFraction, earlyStoppingRounds, budget })
  done++
  options.onProgress?.({ candidate: `final ${chosen.name}`, fold: 0, folds: plan.folds.length, done, total })

  const pooled = outOfFold[best] ?? []
  const validation = evaluate(concatLabels(pooled.map((p) => p.labels)), concatProbabilities(pooled.map((p) => p.probabilities)))
  const selection: SelectionReport = {
    criterion: CRITERION,
    strategy: plan.strategy,
    strategyNote: plan.note,
    seed,
    minRounds,
    maxRounds,
    pruneMargin,
    rows: set.n,
    folds: plan.folds.map((fold) => ({
      validationTime: fold.validationTime,
      fitRows: fold.fit.length,
      validationRows: fold.validation.length,
      validationPositives: countPositives(set, fold.validation),
    })),
    candidates: reports,
    chosen: { name: chosen.name, candidate: chosen.candidate, rounds: chosen.rounds },
    reason: reasonFor(reports, best, plan),
  }
  const model: Model = { ...final.model, training: { ...final.model.training, validationRows: validation.n }, metrics: validation }
  return {
    model,
    validation,
    trainingLog: { ...final.log, summary: model.training },
    selection,
  }
}

interface FoldFit {
  bestIteration: number
  iterations: number
  /** Raw validation scores of the fold's model after `rounds` rounds (GBDT) or at its best epoch (logistic). */
  scoresAt(rounds: number): Float64Array
}

async function fitFold(
  set: TrainingSet,
  fold: Fold,
  candidate: Candidate,
  settings: { seed: number; maxRounds: number; earlyStoppingRounds: number; minRounds: number },
): Promise<FoldFit> {
  if (candidate.kind === 'gbdt') {
    const hp = gbdtHyperparameters(candidate, settings.seed, settings.maxRounds, settings.earlyStoppingRounds)
    const fit = fitGbdtPath(set, fold.fit, fold.validation, hp, [1, 1], settings.minRounds)
    const x = gatherRows(set, fold.validation)
    return {
      bestIteration: fit.bestIteration,
      iterations: fit.iterations,
      scoresAt: (rounds) => treeScores(fit.baseScore, fit.trees.slice(0, rounds), x, set.d),
    }
  }
  const hp = logisticHyperparameters(candidate, settings.seed, LOGISTIC_EPOCHS)
  const weights = classWeights(hp.classWeight, set.labels, fold.fit)
  const transforms = fitTransforms(set, fold.fit)
  const fit = await fitLogistic(designMatrix(set, fold.fit, transforms, weights), designMatrix(set, fold.validation, transforms, weights), hp)
  const validation = designMatrix(set, fold.validation, transforms, weights)
  // A convex fit read at its best epoch: the common epoch count only sets the final fit's length.
  const raw = new Float64Array(validation.n)
  for (let r = 0; r < validation.n; r++) {
    let z = fit.bias
    for (let j = 0; j < set.d; j++) z += (fit.weights[j] as number) * (validation.x[r * set.d + j] as number)
    raw[r] = z
  }
  return { bestIteration: fit.bestIteration, iterations: fit.iterations, scoresAt: () => raw }
}

// A fold's validation rows scored at `rounds`: calibrated log loss and the ranking metrics.
function scoreFold(set: TrainingSet, fold: Fold, fit: FoldFit, rounds: number, seed: number) {
  const labels = gatherLabels(set, fold.validation)
  const raw = fit.scoresAt(rounds)
  const probabilities = crossFittedProbabilities(set, fold.validation, raw, labels, seed)
  const metrics: FoldMetrics = {
    bestIteration: fit.bestIteration,
    iterations: fit.iterations,
    logLoss: logLoss(labels, probabilities) ?? Number.NaN,
    rocAuc: rocAuc(labels, raw),
    prAuc: averagePrecision(labels, raw),
    topDecileLift: topDecile(labels, raw).lift,
  }
  return { metrics, predictions: { labels, probabilities } }
}

// The median of the folds' best counts (the upper median for an even count), at least `floor`.
function commonRounds(fits: readonly FoldFit[], floor: number): number {
  const sorted = fits.map((f) => f.bestIteration).sort((a, b) => a - b)
  return Math.max(floor, sorted[Math.floor(sorted.length / 2)] ?? floor)
}

/**
 * Probabilities for a fold's validation rows with Platt scaling cross-fitted inside the fold:
 * the customers are halved (seeded), each half is scaled by the Platt fitted on the other half.
 * Candidates are compared on calibrated log loss without any row scoring itself, so a family
 * trained with balanced weights (logistic) is not penalised for its raw scale.
 */
function crossFittedProbabilities(set: TrainingSet, rows: Int32Array, raw: Float64Array, labels: Uint8Array, seed: number): Float64Array {
  const half = groupParts({ ...set, n: rows.length, groups: gatherGroups(set, rows) }, 2, seed + 7)
  const platt: PlattScaling[] = [0, 1].map((h) => {
    const scores: number[] = []
    const y: number[] = []
    for (let r = 0; r < rows.length; r++) {
      if (half[r] !== h) {
        scores.push(raw[r] as number)
        y.push(labels[r] as number)
      }
    }
    return fitPlatt(scores, y)
  })
  const out = new Float64Array(rows.length)
  for (let r = 0; r < rows.length; r++) {
    const { slope, intercept } = platt[half[r] as number] as PlattScaling
    out[r] = 1 / (1 + Math.exp(-(slope * (raw[r] as number) + intercept)))
  }
  return out
}

function gatherGroups(set: TrainingSet, rows: Int32Array): Int32Array {
  const out = new Int32Array(rows.length)
  for (let r = 0; r < rows.length; r++) out[r] = set.groups === undefined ? (rows[r] as number) : (set.groups[rows[r] as number] as number)
  return out
}

/**
 * The chosen candidate on every row outside a seeded calibration slice of customers (all dates),
 * for exactly the chosen rounds/epochs; Platt scaling fitted on the slice, which no fit saw.
 */
async function fitFinal(
  set: TrainingSet,
  chosen: CandidateReport,
  settings: { seed: number; calibrationFraction: number; earlyStoppingRounds: number; budget: number },
): Promise<{ model: Model; log: TrainingLog }> {
  const { fitRows, calibrationRows } = calibrationSlice(set, settings.calibrationFraction, settings.seed)
  if (!hasBothClasses(set, fitRows)) {
    throw modelError(MODEL_ERROR_CODES.invalidTrainingSet, 'invalid training set: the final fit needs both churned and retained rows')
  }
  let positives = 0
  for (let i = 0; i < set.n; i++) positives += set.labels[i] as number
  const training: TrainingSummary = {
    rows: set.n,
    positives,
    trainRows: fitRows.length,
    validationRows: 0,
    calibrationRows: calibrationRows.length,
    iterations: chosen.rounds,
    bestIteration: chosen.rounds,
    calibratedOn: 'calibration',
    refit: { rows: fitRows.length, iterations: chosen.rounds },
  }
  const common = {
    featureNames: [...set.featureNames],
    trackedActions: set.featureNames.filter((name) => name.startsWith(ACTION_FEATURE_PREFIX)).map((name) => name.slice(ACTION_FEATURE_PREFIX.length)),
    typical: featureMedians(set, fitRows),
    calibration: { slope: 1, intercept: 0 },
    training,
    metrics: null,
  }
  let uncalibrated: Model
  let weights: [number, number]
  const candidate = chosen.candidate
  if (candidate.kind === 'gbdt') {
    const hp = { ...gbdtHyperparameters(candidate, settings.seed, chosen.rounds, settings.earlyStoppingRounds), calibrationFraction: settings.calibrationFraction }
    weights = [1, 1]
    const fit = refitGbdt(set, fitRows, chosen.rounds, hp, weights)
    uncalibrated = { kind: 'gbdt', ...common, hyperparameters: hp, baseScore: fit.baseScore, trees: fit.trees } satisfies GbdtModel
  } else {
    const hp = { ...logisticHyperparameters(candidate, settings.seed, chosen.rounds), calibrationFraction: settings.calibrationFraction }
    weights = classWeights(hp.classWeight, set.labels, fitRows)
    const transforms = fitTransforms(set, fitRows)
    const fit = await fitLogistic(designMatrix(set, fitRows, transforms, weights), null, hp)
    uncalibrated = { kind: 'logistic', ...common, hyperparameters: hp, transforms, weights: fit.weights, bias: fit.bias } satisfies LogisticModel
  }
  const calibration = fitPlatt(rawScores(uncalibrated, gatherRows(set, calibrationRows)), gatherLabels(set, calibrationRows))
  const model: Model = { ...uncalibrated, calibration }
  return {
    model,
    // stoppedEarly: a fold stopped before its budget (maxRounds, or the logistic epochs).
    log: { kind: model.kind, summary: training, classWeights: weights, stoppedEarly: chosen.folds.some((f) => f.iterations < settings.budget), history: [], calibration },
  }
}

function calibrationSlice(set: TrainingSet, fraction: number, seed: number): { fitRows: Int32Array; calibrationRows: Int32Array } {
  // 1/fraction parts would not be exact; rank the shuffled groups instead and cut at the fraction.
  const ids = set.groups === undefined ? Int32Array.from({ length: set.n }, (_, i) => i) : Int32Array.from(new Set(set.groups)).sort()
  const order = Int32Array.from(ids)
  shuffleInPlace(order, createRng(seed + 0x2c1b3c6d))
  const cut = Math.max(1, Math.round(order.length * fraction))
  const held = new Set<number>()
  for (let p = 0; p < cut; p++) held.add(order[p] as number)
  const fitRows: number[] = []
  const calibrationRows: number[] = []
  for (let i = 0; i < set.n; i++) (held.has(set.groups === undefined ? i : (set.groups[i] as number)) ? calibrationRows : fitRows).push(i)
  return { fitRows: Int32Array.from(fitRows), calibrationRows: Int32Array.from(calibrationRows) }
}

function gbdtHyperparameters(candidate: Extract<Candidate, { kind: 'gbdt' }>, seed: number, rounds: number, earlyStoppingRounds: number): GbdtHyperparameters {
  return resolveOptions({
    kind: 'gbdt',
    seed,
    learningRate: candidate.learningRate,
    maxDepth: candidate.maxDepth,
    minSamplesLeaf: candidate.minSamplesLeaf,
    l2: candidate.l2,
    rounds,
    earlyStoppingRounds,
    classWeight: 'none',
  })
}

function logisticHyperparameters(candidate: Extract<Candidate, { kind: 'logistic' }>, seed: number, epochs: number): LogisticHyperparameters {
  return resolveOptions({ kind: 'logistic', seed, learningRate: candidate.learningRate, l2: candidate.l2, epochs })
}

// Raw log-odds of rows under baseScore + trees (NaN or <= threshold goes left, as in predict).
function treeScores(baseScore: number, trees: readonly Tree[], x: Float64Array, d: number): Float64Array {
  const n = x.length / d
  const out = new Float64Array(n).fill(baseScore)
  for (const tree of trees) {
    for (let r = 0; r < n; r++) {
      let node = 0
      let f = tree.feature[0] as number
      while (f >= 0) {
        const v = x[r * d + f] as number
        node = !(v > (tree.threshold[node] as number)) ? (tree.left[node] as number) : (tree.right[node] as number)
        f = tree.feature[node] as number
      }
      out[r] = (out[r] as number) + (tree.value[node] as number)
    }
  }
  return out
}

function reasonFor(reports: readonly CandidateReport[], best: number, plan: FoldPlan): string {
  const chosen = reports[best] as CandidateReport
  const others = reports.filter((r, c) => c !== best && !r.pruned).sort((a, b) => a.mean.logLoss - b.mean.logLoss)
  const pruned = reports.filter((r) => r.pruned).length
  const runnerUp = others[0]
  const otherFamily = others.find((r) => r.candidate.kind !== chosen.candidate.kind)
  const f = (v: number | null, digits: number) => (v === null ? 'n/a' : v.toFixed(digits))
  const parts = [
    `${chosen.name} (${chosen.rounds} ${chosen.candidate.kind === 'gbdt' ? 'rounds' : 'epochs'}) had the lowest mean validation log loss, ` +
      `${f(chosen.mean.logLoss, 4)}, over ${plan.folds.length} ${plan.strategy} folds (PR AUC ${f(chosen.mean.prAuc, 3)}, ROC AUC ${f(chosen.mean.rocAuc, 3)})`,
  ]
  if (runnerUp) parts.push(`runner-up ${runnerUp.name} ${f(runnerUp.mean.logLoss, 4)} (+${f(runnerUp.mean.logLoss - chosen.mean.logLoss, 4)})`)
  if (otherFamily && otherFamily !== runnerUp) {
    parts.push(`best ${otherFamily.candidate.kind} ${f(otherFamily.mean.logLoss, 4)} (+${f(otherFamily.mean.logLoss - chosen.mean.logLoss, 4)})`)
  }
  if (pruned > 0) parts.push(`${pruned} pruned after the first fold`)
  return parts.join('; ')
}

function mean(values: readonly (number | null)[]): number | null {
  const present = values.filter((v): v is number => v !== null && Number.isFinite(v))
  return present.length === 0 ? null : present.reduce((a, b) => a + b, 0) / present.length
}

function countPositives(set: TrainingSet, rows: Int32Array): number {
  let positives = 0
  for (let r = 0; r < rows.length; r++) positives += set.labels[rows[r] as number] as number
  return positives
}

function concatLabels(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}

function concatProbabilities(parts: readonly Float64Array[]): Float64Array {
  const out = new Float64Array(parts.reduce((a, p) => a + p.length, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}

function invalidOption(message: string): Error {
  return modelError(MODEL_ERROR_CODES.invalidOptions, `invalid selection options: ${message}`)
}

