import { categoryColumns, chooseCategoryFeatures, type CategorySelectionOptions } from './categorical.js'
import { featureSetOf, type FeatureSet } from './feature-set.js'
import type { TrainingExample } from './training.js'

/**
 * Chooses the one-hot columns from the examples' categories (chooseCategoryFeatures) and appends
 * them: to the feature set's names, and to each example's features (in place). Returns the
 * extended set. The values are the comparison the family definitions make at scoring time.
 */
export function appendCategoryColumns(featureSet: FeatureSet, examples: TrainingExample[], options: CategorySelectionOptions = {}): FeatureSet {
  const names = chooseCategoryFeatures(examples, options).filter((name) => !featureSet.names.includes(name))
  if (names.length === 0) return featureSet
  for (const example of examples) example.features.push(...categoryColumns(example.categories, names))
  return featureSetOf([...featureSet.names, ...names], featureSet.registry)
}
