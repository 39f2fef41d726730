import type { RawData } from 'ws'

/** A frame's `data` as an object to read fields from; anything else reads as `{}`. */
export const asObject = (data: unknown) => (data && typeof data === 'object' && !Array.isArray(data) ? (data as Record<string, unknown>) : {})

/** What a client frame turned out to be. */
export type ParsedFrame =
  | { kind: 'object'; message: Record<string, unknown> }
  /** Valid JSON, but nested deeper than allowed: answered with 400, never handed to a handler. */
  | { kind: 'too-deep'; uuid: unknown }
  | { kind: 'invalid' }

/**
 * A client frame as a JSON object (a leading BOM dropped). JSON.parse itself copes with any depth,
 * but `JSON.stringify` (of a reply echoing the data) overflows the stack at a few thousand levels,
 * so deeper frames are refused before any handler sees them.
 */
export function parseFrame(raw: RawData, isBinary: boolean, maxDepth: number): ParsedFrame {
  if (isBinary) return { kind: 'invalid' }
  let text = String(raw)
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1)
  let message: unknown
  try {
    message = JSON.parse(text)
  } catch {
    return { kind: 'invalid' }
  }
  if (!message || typeof message !== 'object' || Array.isArray(message)) return { kind: 'invalid' }
  if (nestsDeeperThan(message, maxDepth)) return { kind: 'too-deep', uuid: (message as Record<string, unknown>).uuid }
  return { kind: 'object', message: message as Record<string, unknown> }
}

/**
 * Whether a parsed JSON `value` nests objects and arrays more than `limit` levels (itself the
 * first): the text's equivalent of `deeperThan`, which reads every character where this visits
 * only the values (a few for a typical frame), and stops at the first one too deep.
 */
export function nestsDeeperThan(value: unknown, limit: number): boolean {
  if (value === null || typeof value !== 'object') return false
  if (limit <= 0) return true
  if (Array.isArray(value)) {
    for (const item of value) if (nestsDeeperThan(item, limit - 1)) return true
    return false
  }
  for (const key in value) if (nestsDeeperThan((value as Record<string, unknown>)[key], limit - 1)) return true
  return false
}

/** Whether JSON `text` nests objects and arrays more than `limit` levels; strings are skipped. */
export function deeperThan(text: string, limit: number): boolean {
  let depth = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    if (inString) {
      if (code === 0x5c) i++ // backslash: skip the escaped character
      else if (code === 0x22) inString = false
    } else if (code === 0x22) inString = true
    else if (code === 0x7b || code === 0x5b) {
      if (++depth > limit) return true
    } else if (code === 0x7d || code === 0x5d) depth--
  }
  return false
}

/** Thrown when a value cannot become JSON (a cycle, a BigInt, too deep, a throwing toJSON). */
export class SerializationError extends TypeError {
  constructor(what: string, cause: unknown) {
    super(`${what} cannot be serialized as JSON: ${cause instanceof Error ? cause.message : String(cause)}`)
    this.name = 'SerializationError'
  }
}

/**
 * `JSON.stringify` that throws only `SerializationError`; `undefined` becomes `null` so that the
 * result is always a JSON text.
 */
export function toJson(value: unknown, what: string): string {
  let text: string | undefined
  try {
    text = JSON.stringify(value)
  } catch (error) {
    throw new SerializationError(what, error)
  }
  return text === undefined ? 'null' : text
}
