import type { Authenticate } from './auth'
import { CloseCode, ReplyCode } from './codes'
import type { Engine } from './engine'
import { attach } from './recovery'
import type { Session } from './session'
import type { Sessions } from './sessions'
import { readSince, userStream } from './streams'
import type { TokenCheck } from './token'

export interface LoginContext {
  authenticate: Authenticate
  sessions: Sessions
  engine(): Engine
  /** The dedupe window told to clients that track positions, in ms; 0: none. */
  dedupe: number
  /** What the window's replies belong to: this process, or the Redis store shared by the nodes. */
  dedupeScope(): Promise<string>
  log: (...args: unknown[]) => void
}

/** Protocol versions this server speaks; a login asking for another is closed with 4426. */
export const PROTOCOL_VERSIONS = [1]

/**
 * Logins, from the `?u=&token=` of the upgrade URL or from a `login` frame. Both end in
 * `completeLogin`; they differ only in how a refusal is told (a close code, or a reply).
 */
export function createLogin(context: LoginContext) {
  const { sessions, log } = context

  /**
   * Checks the token and, when it is good, makes `session` the user's: the one path by which a
   * session becomes ready. `closed` when the session began closing while the token was checked.
   */
  async function completeLogin(session: Session, u: string, token: string, via: string): Promise<TokenCheck | 'closed'> {
    const check = await context.authenticate(u, token)
    if (session.phase === 'closing') return 'closed'
    if (check !== 'ok') return check
    session.loggedIn()
    sessions.bind(session, u)
    log(via, u, session.id)
    return 'ok'
  }

  /** A token in the upgrade URL logs the socket in from the start; a bad one closes it with the decision. */
  async function fromUrl(session: Session, u: string, token: string) {
    const check = await completeLogin(session, u, token, 'login (url)')
    if (check === 'expired') session.close(CloseCode.tokenExpired, 'token expired')
    else if (check === 'invalid') session.close(CloseCode.authRefused, 'invalid token')
  }

  /** `{"event":"login","data":{u, token, since?, protocol?}}`: answered with a reply, recovery included. */
  async function fromFrame(session: Session, fields: Record<string, unknown>, uuid: unknown) {
    const { u, token, protocol } = fields
    if (protocol !== undefined && !PROTOCOL_VERSIONS.includes(protocol as number)) {
      return session.close(CloseCode.protocolVersion, `protocol ${String(protocol)} not supported`)
    }
    if (typeof u !== 'string' || !u || typeof token !== 'string') {
      return session.reply(uuid, ReplyCode.badRequest, 'login needs {u, token} strings')
    }
    const { given, since, bad } = readSince(fields)
    if (bad) return session.reply(uuid, ReplyCode.badRequest, 'since must be null or {epoch, offset}')
    const check = await completeLogin(session, u, token, 'login')
    if (check === 'closed') return
    if (check === 'expired') return session.reply(uuid, ReplyCode.tokenExpired, 'token expired')
    if (check !== 'ok') return session.reply(uuid, ReplyCode.unauthorized, 'invalid token')
    if (!given) return session.reply(uuid, ReplyCode.ok, 'logged in')
    session.positioned = true
    const attached = await attach(context.engine(), session, userStream(u), since, log)
    const body = { epoch: attached.epoch, offset: attached.offset, recovered: attached.recovered }
    // A scope that cannot be read (Redis unreachable) announces no window: nothing is resent.
    const scope = context.dedupe > 0 ? await context.dedupeScope().catch(() => undefined) : undefined
    const dedupe = scope ? { dedupe: context.dedupe, dedupeScope: scope } : undefined
    if (session.phase === 'closing') return
    session.reply(uuid, ReplyCode.ok, { ...body, ...dedupe })
    attached.flush()
  }

  return { fromUrl, fromFrame }
}

/** The login paths of a server. */
export type Login = ReturnType<typeof createLogin>
