import type { Channels } from './channels'
import type { EngineListener } from './engine'
import { prepareFrame, type PreparedFrame } from './prepared'
import type { Session } from './session'
import type { Sessions } from './sessions'
import type { Publication } from './streams'

/**
 * The frames of a publication: `{"type":"app","event":…,"msg":…}` plus `"to"` for a user push (as
 * today, and with `"epoch"`/`"offset"` for clients that track positions) or `"channel"`, `"epoch"`,
 * `"offset"` for a channel publication. Built by splicing `data`, which was serialized once.
 */
export function frameOf(publication: Publication, positioned: boolean): string {
  const inner = publication.data.slice(1, -1)
  const position = `,"epoch":${JSON.stringify(publication.epoch)},"offset":${publication.offset}}`
  const name = JSON.stringify(publication.stream.slice(2))
  if (publication.stream.startsWith('c:')) return `{"type":"app",${inner},"channel":${name}${position}`
  return `{"type":"app",${inner},"to":${name}${positioned ? position : '}'}`
}

/**
 * Whether `session` lacks `publication` (nothing at or above its offset in the same epoch was sent
 * or covered); records it as sent when so.
 */
export function isNew(session: Session, publication: Publication): boolean {
  const latest = session.latest.get(publication.stream)
  if (latest && latest.epoch === publication.epoch && publication.offset <= latest.offset) return false
  session.latest.set(publication.stream, { epoch: publication.epoch, offset: publication.offset })
  return true
}

/** Hands what the engine carries to this node's sockets (presence pushes: presence.ts). */
export function createDelivery(sessions: Sessions, channels: Channels): Omit<EngineListener, 'signal'> {
  return {
    publication(publication) {
      const name = publication.stream.slice(2)
      const channel = publication.stream.startsWith('c:')
      const targets = channel ? channels.of(name) : sessions.ofUser(name)
      // A channel publication is one frame for all of its followers, a user push one per kind of
      // client: each is encoded once, then written as it is to every socket.
      let positioned: PreparedFrame | undefined
      let legacy: PreparedFrame | undefined
      for (const session of targets) {
        const held = session.recovering.get(publication.stream)
        if (held) held.push(publication)
        else if (isNew(session, publication)) {
          if (channel || session.positioned) session.send((positioned ??= prepareFrame(frameOf(publication, true))))
          else session.send((legacy ??= prepareFrame(frameOf(publication, false))))
        }
      }
    },
    broadcast(data) {
      const inner = data.slice(1, -1)
      for (const user of sessions.users()) {
        const frame = prepareFrame(`{"type":"app",${inner},"to":${JSON.stringify(user)}}`)
        for (const session of sessions.ofUser(user)) session.send(frame)
      }
    },
  }
}
