import type { RawData } from 'ws'
import { CloseCode, ReplyCode, ReplyError } from './codes'
import { parseFrame } from './frames'
import type { Handler, PushInput } from './handlers'
import type { ResolvedOptions } from './options'
import type { Session } from './session'
import type { Sessions } from './sessions'

export interface RequestContext {
  options: ResolvedOptions
  handlers: Map<string, Handler>
  sessions: Sessions
  verifyLogin: (u: string, token: string) => boolean | Promise<boolean>
  push(message: PushInput): Promise<number>
}

/**
 * Reads every frame a client sends and answers it: the built-in events (login, ping, the answer to
 * our ping), then the application's handlers. Synchronous on the hot path: only a handler that
 * returns a promise is awaited.
 */
export function createReceiver(context: RequestContext) {
  const { options, handlers, sessions } = context
  const { log } = options

  async function login(session: Session, data: unknown, uuid: unknown) {
    const { u, token } = (data && typeof data === 'object' ? data : {}) as { u?: unknown; token?: unknown }
    if (typeof u !== 'string' || !u || typeof token !== 'string') {
      return session.reply(uuid, ReplyCode.badRequest, 'login needs {u, token} strings')
    }
    let valid = false
    try {
      valid = await context.verifyLogin(u, token)
    } catch (error) {
      log('verifyLogin threw:', error)
    }
    if (!valid) return session.reply(uuid, ReplyCode.unauthorized, 'invalid token')
    if (!sessions.has(session)) return // closed while the token was checked
    clearTimeout(session.loginTimer)
    sessions.bind(session, u)
    log('login', u, session.id)
    session.reply(uuid, ReplyCode.ok, 'logged in')
  }

  function run(session: Session, user: string, handler: Handler, event: string, data: unknown, uuid: unknown) {
    const answer = (body: unknown) => session.reply(uuid, ReplyCode.ok, body === undefined ? null : body)
    const fail = (error: unknown) => {
      if (error instanceof ReplyError) return session.reply(uuid, error.code, error.body)
      log(`handler of "${event}" threw:`, error)
      session.reply(uuid, ReplyCode.internal, 'internal error')
    }
    let body: unknown
    try {
      body = handler(data, { user, socketId: session.id, push: (e, msg, to) => context.push({ event: e, msg, to }) })
    } catch (error) {
      return fail(error)
    }
    if (body && typeof (body as PromiseLike<unknown>).then === 'function') (body as PromiseLike<unknown>).then(answer, fail)
    else answer(body)
  }

  return function receive(session: Session, raw: RawData, isBinary: boolean) {
    const now = Date.now()
    session.lastSeen = now
    if (session.overRate(options.rateLimit, now)) return session.close(CloseCode.rateLimited, 'rate limit')
    const message = parseFrame(raw, isBinary)
    if (!message) return session.close(CloseCode.badFrame, 'expected a JSON object')
    const { event, data, uuid } = message
    if (uuid !== undefined && typeof uuid !== 'string' && typeof uuid !== 'number') {
      return session.close(CloseCode.badFrame, 'uuid must be a string or number')
    }
    if (typeof event !== 'string') return session.reply(uuid, ReplyCode.badRequest, 'event must be a string')
    if (event === 'response') return // the answer to our ping: lastSeen is all it is for
    if (event === 'login') return void login(session, data, uuid).catch((error) => log('login failed:', error))
    if (event === 'ping') {
      const known = session.user !== undefined
      return session.reply(uuid, known ? ReplyCode.ok : ReplyCode.unauthorized, known ? 'pong' : 'not logged in')
    }
    const user = session.user
    if (user === undefined) return session.reply(uuid, ReplyCode.unauthorized, 'login first')
    const handler = handlers.get(event)
    if (!handler) return session.reply(uuid, ReplyCode.notFound, `unknown event ${event}`)
    run(session, user, handler, event, data, uuid)
  }
}
