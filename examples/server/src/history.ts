import { frameOf } from './delivery'
import type { Engine, HistoryPage, HistoryQuery } from './engine'
import { channelStream, readPosition, type Position, type Publication } from './streams'

/** Publications one history call returns at most. */
export const HISTORY_LIMIT = 100

/** `{ limit, before? }` of a `history` request or `POST /history`; a string says what is wrong. */
export function readHistoryQuery(fields: Record<string, unknown>): HistoryQuery | string {
  const { limit, before } = fields
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > HISTORY_LIMIT) return `limit must be an integer from 1 to ${HISTORY_LIMIT}`
  if (before === undefined || before === null) return { limit }
  const position = readPosition(before)
  return position ? { limit, before: position } : 'before must be {epoch, offset}'
}

/**
 * The entries a page keeps: at most `limit`, the newest first picked, returned oldest first; none
 * when `before` is of another epoch (that history is gone).
 */
export function pageOf(position: Position, entries: Publication[], query: HistoryQuery): HistoryPage {
  const { limit, before } = query
  if (before && before.epoch !== position.epoch) return { position, publications: [] }
  const older = before ? entries.filter((entry) => entry.offset < before.offset) : entries
  return { position, publications: older.slice(-limit) }
}

/**
 * A channel's page as the JSON text of a reply body or of `POST /history`'s answer: the
 * publications, oldest first, each `{"event":…,"message":…,"position":{"epoch":…,"offset":…}}`
 * where `message` is the very frame its subscribers got (what the SDK's handlers get).
 */
export async function channelHistory(engine: Engine, channel: string, query: HistoryQuery): Promise<string> {
  const { publications } = await engine.history(channelStream(channel), query)
  const entries = publications.map((publication) => {
    const position = `{"epoch":${JSON.stringify(publication.epoch)},"offset":${publication.offset}}`
    return `{"event":${JSON.stringify(eventOf(publication))},"message":${frameOf(publication, true)},"position":${position}}`
  })
  return `[${entries.join(',')}]`
}

/** The event of a stored publication, from its `{"event":…,"msg":…}` text. */
const eventOf = (publication: Publication) => (JSON.parse(publication.data) as { event: string }).event
