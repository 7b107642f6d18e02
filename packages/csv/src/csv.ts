// CSV for CRM bulk import: RFC 4180 quoting, CRLF line ends, and text that a spreadsheet would run
// as a formula (=, +, -, @, tab, CR first) prefixed with an apostrophe (OWASP "CSV injection").

const FORMULA_START = /^[=+\-@\t\r]/

/** One CSV field: numbers as they are, text quoted when needed and defused when formula-like. */
export function csvField(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return ''
  if (typeof value === 'number') return String(value)
  const text = FORMULA_START.test(value) ? `'${value}` : value
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text
}

/** One CSV line with its CRLF. */
export function csvLine(fields: ReadonlyArray<string | number | null | undefined>): string {
  return `${fields.map(csvField).join(',')}\r\n`
}
