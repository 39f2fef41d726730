import type { Channels } from './channels'
import type { EngineListener } from './engine'
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

/** Hands what the engine carries to this node's sockets. */
export function createDelivery(sessions: Sessions, channels: Channels): EngineListener {
  // Frames are the same for every socket of a kind: build each once per publication.
  function send(session: Session, publication: Publication, frames: { legacy?: string; positioned?: string }) {
    const held = session.recovering.get(publication.stream)
    if (held) return void held.push(publication)
    const kind = session.positioned ? 'positioned' : 'legacy'
    const frame = (frames[kind] ??= frameOf(publication, session.positioned))
    session.send(frame)
  }

  return {
    publication(publication) {
      const frames = {}
      const name = publication.stream.slice(2)
      const targets = publication.stream.startsWith('c:') ? channels.of(name) : sessions.ofUser(name)
      for (const session of targets) send(session, publication, frames)
    },
    broadcast(data) {
      const inner = data.slice(1, -1)
      for (const user of sessions.users()) {
        const frame = `{"type":"app",${inner},"to":${JSON.stringify(user)}}`
        for (const session of sessions.ofUser(user)) session.send(frame)
      }
    },
  }
}
