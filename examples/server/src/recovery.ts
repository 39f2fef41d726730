import type { Engine } from './engine'
import type { Session } from './session'
import { frameOf, isNew } from './delivery'
import type { Position } from './streams'

/** What a client is told after login or subscribe: the position to keep, and whether it missed nothing. */
export interface Attached {
  epoch?: string
  offset?: number
  recovered: boolean
}

/**
 * Joins `session` to a stream's live delivery (already done by `join`) and replays what it missed
 * after `since`, in order, before any live publication: live ones that arrive meanwhile are held
 * and sent after the replay, minus those the replay (or the position) already covers. Resolves with
 * what to tell the client; when the engine cannot be read (Redis down), the socket stays joined,
 * with no position and `recovered: false`.
 */
export async function attach(engine: Engine, session: Session, stream: string, since: Position | undefined, log: (...args: unknown[]) => void): Promise<Attached & { flush(): void }> {
  session.recovering.set(stream, [])
  let attached: Attached = { recovered: false }
  try {
    const recovery = await engine.recover(stream, since)
    const top = recovery.position
    attached = { epoch: top.epoch, offset: top.offset, recovered: recovery.recovered }
    for (const publication of recovery.publications) await session.sendPaced(frameOf(publication, true))
    // Live publications up to the reply's position are covered, whenever pub/sub brings them.
    session.latest.set(stream, top)
  } catch (error) {
    log('history of', stream, 'unavailable:', (error as Error).message)
  }
  return flushLater(session, stream, attached)
}

/** The held live publications go out right after the reply that carries the position. */
function flushLater(session: Session, stream: string, attached: Attached): Attached & { flush(): void } {
  return {
    ...attached,
    flush() {
      const held = session.recovering.get(stream) ?? []
      session.recovering.delete(stream)
      for (const publication of held) {
        if (isNew(session, publication)) session.send(frameOf(publication, true))
      }
    },
  }
}
