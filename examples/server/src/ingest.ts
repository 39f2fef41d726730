import { createHash } from 'node:crypto'
import { parseDisconnect, type DisconnectOrder } from './disconnect'
import { parsePush, type PushInput, type PushMessage } from './push'

/**
 * How messages that a backend publishes on its own Redis channel, in its own shape, become pushes:
 * seed 000's PHP publishes `{"user_id","lat","lng"}` on `tracking_updates`, seed 003's Django
 * `{"latitude","longitude","user":{"id"}}` on `dlchannel`.
 */
export interface IngestRule {
  /** The Redis pub/sub channel to listen on. */
  from: string
  /** The push for a message (parsed JSON, or the raw text when it is not JSON); undefined: ignore it. */
  map: (payload: unknown, raw: string) => PushInput | PushInput[] | undefined
}

/**
 * The same in configuration form: `event` names the push, `channel` and/or `to` say where it goes,
 * with `{path}` replaced by that field of the payload (`{user.id}`), and the whole payload as `msg`.
 * `{"from":"tracking_updates","event":"location","channel":"courier:{user_id}"}`
 */
export interface IngestTemplate {
  from: string
  event: string
  channel?: string
  to?: string
}

/** Fills `{path}` placeholders from `payload`; undefined when one of them is missing. */
function fill(template: string, payload: unknown): string | undefined {
  let missing = false
  const text = template.replace(/\{([\w.]+)\}/g, (_, path: string) => {
    let value: unknown = payload
    for (const key of path.split('.')) value = value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined
    if (typeof value !== 'string' && typeof value !== 'number') {
      missing = true
      return ''
    }
    return String(value)
  })
  return missing ? undefined : text
}

export function toIngestRule(rule: IngestRule | IngestTemplate): IngestRule {
  if ('map' in rule) return rule
  const { from, event, channel, to } = rule
  if (!channel && !to) throw new Error(`ingest rule for ${from}: give a channel or a to`)
  return {
    from,
    map(payload) {
      const target: PushInput = { event, msg: payload }
      if (channel) target.channel = fill(channel, payload)
      if (to) target.to = fill(to, payload)
      return target.channel || target.to ? target : undefined
    },
  }
}

/**
 * The built-in envelope on the push channel: `{"event","msg","to"}` and/or `"channel"`, as JSON;
 * or `{"disconnect": {"to", "code"?, "reason"?}}`, which every node obeys for its own sockets
 * (a push, by contrast, is claimed by one node). A malformed order throws: it is logged and dropped.
 */
export function envelopeRule(from: string, disconnect: (order: DisconnectOrder) => void): IngestRule {
  return {
    from,
    map(payload) {
      if (!payload || typeof payload !== 'object' || !('disconnect' in payload)) return payload as PushInput
      const order = parseDisconnect(payload.disconnect)
      if (typeof order === 'string') throw new Error(`disconnect refused: ${order}`)
      disconnect(order)
      return undefined
    },
  }
}

/** The pushes of one ingest message, normalized; bad ones are dropped. */
export function mapIngest(rule: IngestRule, raw: string): PushMessage[] {
  let payload: unknown = raw
  try {
    payload = JSON.parse(raw)
  } catch {
    // not JSON: the rule gets the text
  }
  const mapped = rule.map(payload, raw)
  const list = Array.isArray(mapped) ? mapped : mapped ? [mapped] : []
  return list.map((input) => parsePush(input)).filter((message): message is PushMessage => message !== undefined)
}

/**
 * Names each ingest message the same way on every node, so that exactly one node claims it: every
 * node hears a channel's messages in the same order, so "the n-th message with this content within
 * the window" is the same message everywhere, and identical messages stay distinct.
 */
export function ingestNamer(windowMs: number) {
  const seen = new Map<string, { count: number; last: number }>()
  let lastSweep = Date.now()
  return (from: string, raw: string) => {
    const now = Date.now()
    if (now - lastSweep > windowMs) {
      for (const [key, entry] of seen) if (now - entry.last > windowMs) seen.delete(key)
      lastSweep = now
    }
    const hash = createHash('sha1').update(from).update('\n').update(raw).digest('base64url')
    const entry = seen.get(hash)
    const count = entry && now - entry.last <= windowMs ? entry.count + 1 : 1
    seen.set(hash, { count, last: now })
    return `${hash}:${count}`
  }
}
