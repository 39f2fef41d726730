import type { RawData } from 'ws'
import type { Authenticate } from './auth'
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
  authenticate: Authenticate
  push(message: PushInput): Promise<number>
}

/** Protocol versions this server speaks; a login asking for another is closed with 4426. */
export const PROTOCOL_VERSIONS = [1]

/**
 * Reads every frame a client sends and answers it: the built-in events (login, ping, the answer to
 * our ping), then the application's handlers. Synchronous on the hot path: only a handler that
 * returns a promise is awaited.
 */
export function createReceiver(context: RequestContext) {
  const { options, handlers, sessions } = context
  const { log } = options

  async function login(session: Session, data: unknown, uuid: unknown) {
    const { u, token, protocol } = (data && typeof data === 'object' ? data : {}) as { u?: unknown; token?: unknown; protocol?: unknown }
    if (protocol !== undefined && !PROTOCOL_VERSIONS.includes(protocol as number)) {
      return session.close(CloseCode.protocolVersion, `protocol ${String(protocol)} not supported`)
    }
    if (typeof u !== 'string' || !u || typeof token !== 'string') {
      return session.reply(uuid, ReplyCode.badRequest, 'login needs {u, token} strings')
    }
    const check = await context.authenticate(u, token)
    if (check === 'expired') return session.reply(uuid, ReplyCode.tokenExpired, 'token expired')
    if (check !== 'ok') return session.reply(uuid, ReplyCode.unauthorized, 'invalid token')
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
    const frame = parseFrame(raw, isBinary, options.maxDepth)
    if (frame.kind === 'invalid') return session.close(CloseCode.badFrame, 'expected a JSON object')
    const uuid = frame.kind === 'object' ? frame.message.uuid : frame.uuid
    if (uuid !== undefined && typeof uuid !== 'string' && typeof uuid !== 'number') {
      return session.close(CloseCode.badFrame, 'uuid must be a string or number')
    }
    if (frame.kind === 'too-deep') return session.reply(uuid, ReplyCode.badRequest, `nested deeper than ${options.maxDepth} levels`)
    const { event, data } = frame.message
    if (typeof event !== 'string') return session.reply(uuid, ReplyCode.badRequest, 'event must be a string')
    if (event === 'response') return // the answer to our ping: lastSeen is all it is for
    if (event === 'login') return void login(session, data, uuid).catch((error) => log('login failed:', error))
    if (event === 'ping') {
      // A one-way ping (no uuid) is answered with a pong frame; a ping request with a reply.
      if (uuid === undefined) return void session.send('{"type":"pong"}')
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
