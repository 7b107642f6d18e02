import type { IterationLog, Tree } from './model.js'
import type { GbdtHyperparameters } from './options.js'
import { createRng } from './random.js'
import type { TrainingSet } from './training-set.js'

export interface GbdtFit {
  baseScore: number
  /** The trees up to and including the best validation round. */
  trees: Tree[]
  iterations: number
  bestIteration: number
  history: IterationLog[]
}

/**
 * Histogram gradient boosting for binary log loss: quantile bins fitted on the training rows,
 * depth-limited trees grown from gradient/hessian histograms (the smaller child built, the larger
 * one by subtraction), Newton leaf values with L2, seeded row subsampling, early stopping on the
 * validation rows keeping the best round.
 */
export function fitGbdt(
  set: TrainingSet,
  train: Int32Array,
  validation: Int32Array,
  hp: GbdtHyperparameters,
  classWeight: readonly [number, number],
): GbdtFit {
  return boost(set, train, validation, hp.rounds, hp, classWeight, 1, false)
}

/**
 * Early stopping for model selection: like fitGbdt, but the kept round is the best one at or
 * after `minRounds` (stopping is never considered before it), and every grown tree is returned,
 * so the caller can score the validation rows at any round count (the folds' common count).
 */
export function fitGbdtPath(
  set: TrainingSet,
  train: Int32Array,
  validation: Int32Array,
  hp: GbdtHyperparameters,
  classWeight: readonly [number, number],
  minRounds: number,
): GbdtFit {
  return boost(set, train, validation, hp.rounds, hp, classWeight, minRounds, true)
}

/**
 * Boosts exactly `rounds` trees on `rows` with nothing held out: the refit after early stopping
 * has chosen `rounds`. Bins, base score and trees all come from `rows`; same seed, same trees.
 */
export function refitGbdt(
  set: TrainingSet,
  rows: Int32Array,
  rounds: number,
  hp: GbdtHyperparameters,
  classWeight: readonly [number, number],
): Pick<GbdtFit, 'baseScore' | 'trees'> {
  const { baseScore, trees } = boost(set, rows, null, rounds, hp, classWeight, 1, false)
  return { baseScore, trees }
}

// Without validation rows every round is kept and no losses are logged. The best round is the
// lowest validation loss among rounds >= minRounds; keepAll returns the trees past it too.
function boost(
  set: TrainingSet,
  train: Int32Array,
  validation: Int32Array | null,
  rounds: number,
  hp: GbdtHyperparameters,
  classWeight: readonly [number, number],
  minRounds: number,
  keepAll: boolean,
): GbdtFit {
  const { d } = set
  const upper = fitBinning(set, train, hp.maxBins)
  const trainBins = binRows(set, train, upper)
  const yTrain = gatherLabels(set.labels, train)
  const wTrain = rowWeights(yTrain, classWeight)
  const held = validation === null ? null : heldOutRows(set, validation, upper, classWeight)

  let positiveWeight = 0
  let totalWeight = 0
  for (let r = 0; r < yTrain.length; r++) {
    totalWeight += wTrain[r] as number
    positiveWeight += (wTrain[r] as number) * (yTrain[r] as number)
  }
  const prior = Math.min(1 - 1e-6, Math.max(1e-6, positiveWeight / totalWeight))
  const baseScore = Math.log(prior / (1 - prior))

  const m = train.length
  const scores = new Float64Array(m).fill(baseScore)
  held?.scores.fill(baseScore)
  const grad = new Float64Array(m)
  const hess = new Float64Array(m)
  const sample = new Int32Array(m)
  // Offset from the split's stream so sampling and splitting are not correlated.
  const rng = createRng(hp.seed + 0x632be5ab)
  const grower = createTreeGrower({ bins: trainBins, d, grad, hess, upper, hp })

  const trees: Tree[] = []
  const history: IterationLog[] = []
  let best = Number.POSITIVE_INFINITY
  let bestIteration = 0
  for (let round = 1; round <= rounds; round++) {
    for (let r = 0; r < m; r++) {
      const p = 1 / (1 + Math.exp(-(scores[r] as number)))
      const w = wTrain[r] as number
      grad[r] = w * (p - (yTrain[r] as number))
      hess[r] = Math.max(w * p * (1 - p), 1e-16)
    }
    let sampled = 0
    for (let r = 0; r < m; r++) {
      if (hp.subsample >= 1 || rng.next() < hp.subsample) sample[sampled++] = r
    }
    const { tree, binThreshold } = grower.grow(sample, sampled)
    trees.push(tree)
    addTree(scores, trainBins, d, tree, binThreshold)
    if (held === null) {
      bestIteration = round
      continue
    }
    addTree(held.scores, held.bins, d, tree, binThreshold)
    const validationLoss = meanLogLoss(held.scores, held.labels, held.weights)
    history.push({ iteration: round, trainLoss: meanLogLoss(scores, yTrain, wTrain), validationLoss })
    if (round < minRounds) continue
    if (validationLoss < best - 1e-12) {
      best = validationLoss
      bestIteration = round
    } else if (round - bestIteration >= hp.earlyStoppingRounds) {
      break
    }
  }
  const iterations = held === null ? trees.length : history.length
  return { baseScore, trees: keepAll ? trees : trees.slice(0, bestIteration), iterations, bestIteration, history }
}

function heldOutRows(set: TrainingSet, rowIndices: Int32Array, upper: readonly Float64Array[], classWeight: readonly [number, number]) {
  const labels = gatherLabels(set.labels, rowIndices)
  return { bins: binRows(set, rowIndices, upper), labels, weights: rowWeights(labels, classWeight), scores: new Float64Array(rowIndices.length) }
}

/**
 * Upper bin edges per feature: bin(x) is the first b with x <= upper[b], the last edge is
 * +Infinity. Edges are midpoints between neighbouring training values, chosen so each bin holds
 * about an equal share of the remaining rows; a value holding many rows (zeros) gets a bin alone.
 */
export function fitBinning(set: TrainingSet, rowIndices: Int32Array, maxBins: number): Float64Array[] {
  const { d, rows } = set
  const m = rowIndices.length
  const column = new Float64Array(m)
  const edges: Float64Array[] = []
  for (let f = 0; f < d; f++) {
    for (let k = 0; k < m; k++) column[k] = rows[(rowIndices[k] as number) * d + f] as number
    column.sort()
    const distinct: number[] = []
    const counts: number[] = []
    for (let k = 0; k < m; k++) {
      const v = column[k] as number
      if (distinct.length > 0 && distinct[distinct.length - 1] === v) counts[counts.length - 1] = (counts[counts.length - 1] as number) + 1
      else {
        distinct.push(v)
        counts.push(1)
      }
    }
    const upper: number[] = []
    let remaining = m
    let binsLeft = maxBins
    let filled = 0
    for (let j = 0; j < distinct.length - 1 && binsLeft > 1; j++) {
      filled += counts[j] as number
      if (distinct.length <= maxBins || filled >= remaining / binsLeft) {
        upper.push(midpoint(distinct[j] as number, distinct[j + 1] as number))
        remaining -= filled
        filled = 0
        binsLeft--
      }
    }
    upper.push(Number.POSITIVE_INFINITY)
    edges.push(Float64Array.from(upper))
  }
  return edges
}

// A threshold strictly between a and b (a < b), so a goes left and b goes right.
function midpoint(a: number, b: number): number {
  const mid = a + (b - a) / 2
  return mid < b ? mid : a
}

/** Bin indices of the given rows, row-major (one byte per value); NaN takes bin 0, like predict sends it left. */
export function binRows(set: TrainingSet, rowIndices: Int32Array, upper: readonly Float64Array[]): Uint8Array {
  const { d, rows } = set
  const out = new Uint8Array(rowIndices.length * d)
  for (let k = 0; k < rowIndices.length; k++) {
    const base = (rowIndices[k] as number) * d
    for (let f = 0; f < d; f++) out[k * d + f] = binOf(upper[f] as Float64Array, rows[base + f] as number)
  }
  return out
}

function binOf(upper: Float64Array, x: number): number {
  if (x !== x) return 0
  let lo = 0
  let hi = upper.length - 1
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (x <= (upper[mid] as number)) hi = mid
    else lo = mid + 1
  }
  return lo
}

interface GrowerInput {
  bins: Uint8Array
  d: number
  grad: Float64Array
  hess: Float64Array
  upper: readonly Float64Array[]
  hp: GbdtHyperparameters
}

function createTreeGrower({ bins, d, grad, hess, upper, hp }: GrowerInput) {
  const B = hp.maxBins
  const size = d * B * 3
  // One histogram per depth is enough: a node's buffer becomes its larger child's (by
  // subtraction), the smaller child takes the next depth's buffer.
  const pool = Array.from({ length: hp.maxDepth + 2 }, () => new Float64Array(size))
  let idx: Int32Array = new Int32Array(0)
  let feature: number[] = []
  let binThreshold: number[] = []
  let threshold: number[] = []
  let left: number[] = []
  let right: number[] = []
  let value: number[] = []

  const buildHistogram = (hist: Float64Array, start: number, end: number): void => {
    hist.fill(0)
    for (let k = start; k < end; k++) {
      const r = idx[k] as number
      const g = grad[r] as number
      const h = hess[r] as number
      const rowBase = r * d
      for (let f = 0; f < d; f++) {
        const o = (f * B + (bins[rowBase + f] as number)) * 3
        hist[o] = (hist[o] as number) + g
        hist[o + 1] = (hist[o + 1] as number) + h
        hist[o + 2] = (hist[o + 2] as number) + 1
      }
    }
  }

  const grow = (start: number, end: number, depth: number, hist: Float64Array, G: number, H: number): number => {
    const node = feature.length
    feature.push(-1)
    binThreshold.push(-1)
    threshold.push(0)
    left.push(-1)
    right.push(-1)
    value.push((-hp.learningRate * G) / (H + hp.l2))
    const count = end - start
    if (depth >= hp.maxDepth || count < 2 * hp.minSamplesLeaf) return node

    const parentScore = (G * G) / (H + hp.l2)
    let bestGain = hp.minGain
    let bestFeature = -1
    let bestBin = -1
    let bestGL = 0
    let bestHL = 0
    for (let f = 0; f < d; f++) {
      const nBins = (upper[f] as Float64Array).length
      let GL = 0
      let HL = 0
      let CL = 0
      for (let b = 0; b < nBins - 1; b++) {
        const o = (f * B + b) * 3
        GL += hist[o] as number
        HL += hist[o + 1] as number
        CL += hist[o + 2] as number
        if (CL < hp.minSamplesLeaf) continue
        if (count - CL < hp.minSamplesLeaf) break
        const GR = G - GL
        const HR = H - HL
        const gain = (GL * GL) / (HL + hp.l2) + (GR * GR) / (HR + hp.l2) - parentScore
        // Strictly greater with a floor: ties keep the first feature/bin, and rounding noise never splits.
        if (gain > bestGain && gain > 1e-12) {
          bestGain = gain
          bestFeature = f
          bestBin = b
          bestGL = GL
          bestHL = HL
        }
      }
    }
    if (bestFeature < 0) return node

    let mid = start
    for (let k = start; k < end; k++) {
      const r = idx[k] as number
      if ((bins[r * d + bestFeature] as number) <= bestBin) {
        idx[k] = idx[mid] as number
        idx[mid] = r
        mid++
      }
    }
    const smallHist = pool[depth + 1] as Float64Array
    const leftIsSmall = mid - start <= end - mid
    if (leftIsSmall) buildHistogram(smallHist, start, mid)
    else buildHistogram(smallHist, mid, end)
    for (let k = 0; k < size; k++) hist[k] = (hist[k] as number) - (smallHist[k] as number)
    const leftHist = leftIsSmall ? smallHist : hist
    const rightHist = leftIsSmall ? hist : smallHist

    feature[node] = bestFeature
    binThreshold[node] = bestBin
    threshold[node] = (upper[bestFeature] as Float64Array)[bestBin] as number
    left[node] = grow(start, mid, depth + 1, leftHist, bestGL, bestHL)
    right[node] = grow(mid, end, depth + 1, rightHist, G - bestGL, H - bestHL)
    return node
  }

  return {
    /** Grows one tree on sample[0..count) (train-local row indices; reordered in place). */
    grow(sample: Int32Array, count: number): { tree: Tree; binThreshold: Int32Array } {
      idx = sample
      feature = []
      binThreshold = []
      threshold = []
      left = []
      right = []
      value = []
      const rootHist = pool[0] as Float64Array
      buildHistogram(rootHist, 0, count)
      let G = 0
      let H = 0
      for (let k = 0; k < count; k++) {
        const r = idx[k] as number
        G += grad[r] as number
        H += hess[r] as number
      }
      grow(0, count, 0, rootHist, G, H)
      return {
        tree: {
          feature: Int32Array.from(feature),
          threshold: Float64Array.from(threshold),
          left: Int32Array.from(left),
          right: Int32Array.from(right),
          value: Float64Array.from(value),
        },
        binThreshold: Int32Array.from(binThreshold),
      }
    },
  }
}

// Adds one tree's leaf values using the bins (equal to comparing raw values with the thresholds).
function addTree(scores: Float64Array, bins: Uint8Array, d: number, tree: Tree, binThreshold: Int32Array): void {
  const { feature, left, right, value } = tree
  for (let r = 0; r < scores.length; r++) {
    let node = 0
    let f = feature[0] as number
    while (f >= 0) {
      node = (bins[r * d + f] as number) <= (binThreshold[node] as number) ? (left[node] as number) : (right[node] as number)
      f = feature[node] as number
    }
    scores[r] = (scores[r] as number) + (value[node] as number)
  }
}

function gatherLabels(labels: Uint8Array, rowIndices: Int32Array): Uint8Array {
  const out = new Uint8Array(rowIndices.length)
  for (let k = 0; k < rowIndices.length; k++) out[k] = labels[rowIndices[k] as number] as number
  return out
}

function rowWeights(labels: Uint8Array, classWeight: readonly [number, number]): Float64Array {
  const out = new Float64Array(labels.length)
  for (let r = 0; r < labels.length; r++) out[r] = labels[r] === 1 ? classWeight[1] : classWeight[0]
  return out
}

// Weighted mean log loss of raw scores (log-odds), computed stably via softplus.
function meanLogLoss(scores: Float64Array, labels: Uint8Array, weights: Float64Array): number {
  let total = 0
  let weight = 0
  for (let r = 0; r < scores.length; r++) {
    const z = scores[r] as number
    const softplus = z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z))
    const w = weights[r] as number
    total += w * (softplus - (labels[r] as number) * z)
    weight += w
  }
  return weight > 0 ? total / weight : 0
}
