export { csvField, csvLine } from './csv.js'
