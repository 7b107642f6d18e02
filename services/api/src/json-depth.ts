/**
 * Whether a JSON text nests arrays/objects deeper than `max` levels, by one linear scan that skips
 * strings. Checked before JSON.parse so that a hostile body (`[[[[…` a few MB deep) is a 400 and
 * never reaches code that recurses over it (JSON.stringify, zod) and could overflow the stack.
 */
export function jsonNestsDeeperThan(text: string, max: number): boolean {
  let depth = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 0x5c) i++ // backslash: skip the escaped character
      else if (c === 0x22) inString = false
    } else if (c === 0x22) inString = true
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true
    } else if (c === 0x5d || c === 0x7d) depth--
  }
  return false
}
