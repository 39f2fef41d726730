import type { ConnectContext } from './options'
import type { Position } from './protocol'

/**
 * The login payload as sent over a protocol that carries positions: the user's payload with `since`,
 * the last position handled of the user's own pushes (`null`: none yet), so the server replays what
 * was missed in between. Payloads that are not objects go out as they are.
 * @internal
 */
export function withSince(payload: unknown, since: Position | null): unknown {
  return payload && typeof payload === 'object' ? Object.assign({}, payload, { since }) : payload
}

/**
 * `login` for a protocol that carries positions: the payload with `since`, after `persistence` has
 * switched to the positions of the user it logs in (another user's are never presented).
 * @internal
 */
export const loginWithSince =
  (login: (context: ConnectContext) => unknown, persistence: { login(payload: unknown): void }, since: () => Position | null) =>
  (context: ConnectContext) =>
    Promise.resolve(context)
      .then(login)
      .then((payload) => {
        persistence.login(payload)
        return withSince(payload, since())
      })
