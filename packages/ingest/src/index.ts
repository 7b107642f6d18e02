export { foldEvents, type CustomerTouch, type FoldResult } from './fold-events.js'
export { backfillLines, type BackfillResult } from './backfill.js'
