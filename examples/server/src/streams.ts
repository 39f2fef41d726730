/**
 * Streams and positions (Centrifugo's model): every push to a user and every publication to a
 * channel is appended to that user's or channel's bounded stream and gets a position, an `epoch`
 * (which changes when the stream's history is lost) and an `offset` (1, 2, 3... within the epoch).
 */
export interface Position {
  epoch: string
  offset: number
}

/** One entry of a stream. `data` is the JSON text `{"event":…,"msg":…}`, serialized once. */
export interface Publication extends Position {
  stream: string
  data: string
}

/** What a stream holds after a position, and whether that is everything the client missed. */
export interface Recovery {
  /** The stream's latest position at the time of reading. */
  position: Position
  /** Entries after the given position, in order (empty unless `recovered`). */
  publications: Publication[]
  /** True when the position was given and every entry after it was still there. */
  recovered: boolean
}

/** User streams and channel streams never collide, whatever the names. */
export const userStream = (user: string) => `u:${user}`
export const channelStream = (channel: string) => `c:${channel}`

/** A client's `{epoch, offset}`, if it is one. */
export function readPosition(value: unknown): Position | undefined {
  if (!value || typeof value !== 'object') return undefined
  const { epoch, offset } = value as Record<string, unknown>
  if (typeof epoch !== 'string' || epoch.length > 64 || typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) return undefined
  return { epoch, offset }
}

/**
 * `since` of a login or subscribe: absent (a client that does not track positions), `null` (it
 * does, and has none yet) or a position; anything else is a bad request.
 */
export function readSince(data: Record<string, unknown>): { given: boolean; since?: Position; bad?: boolean } {
  if (!('since' in data) || data.since === undefined) return { given: false }
  if (data.since === null) return { given: true }
  const since = readPosition(data.since)
  return since ? { given: true, since } : { given: true, bad: true }
}

/**
 * Finds what a stream missed after `since` in entries kept in order: recovered only if the epoch is
 * the same and nothing between `since` and the top was trimmed or expired.
 */
export function recoverFrom(position: Position, entries: Publication[], since: Position | undefined): Recovery {
  const none = { position, publications: [], recovered: false }
  if (!since || since.epoch !== position.epoch || since.offset > position.offset) return none
  if (since.offset === position.offset) return { position, publications: [], recovered: true }
  const missed = entries.filter((entry) => entry.offset > since.offset && entry.offset <= position.offset)
  if (missed.length !== position.offset - since.offset || missed[0].offset !== since.offset + 1) return none
  return { position, publications: missed, recovered: true }
}
