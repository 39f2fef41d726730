import type { RawData } from 'ws'

/** A client frame as JSON (a leading BOM dropped), or undefined when it is not a JSON object. */
export function parseFrame(raw: RawData, isBinary: boolean): Record<string, unknown> | undefined {
  if (isBinary) return undefined
  let message: unknown
  try {
    const text = String(raw)
    message = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text)
  } catch {
    return undefined
  }
  return message && typeof message === 'object' && !Array.isArray(message) ? (message as Record<string, unknown>) : undefined
}
