import type { RawData } from 'ws'
import { accessTo, badName, isChannelName, type Authorize, type Channels } from './channels'
import { createChannelReads } from './channel-reads'
import { CloseCode, ReplyCode, ReplyError } from './codes'
import { MAX_REQUEST_ID, type Dedupe } from './dedupe'
import type { Engine } from './engine'
import { asObject, parseFrame } from './frames'
import type { Handler } from './handlers'
import type { Login } from './login'
import type { ResolvedOptions } from './options'
import type { Presence } from './presence'
import type { PushInput } from './push'
import { attach } from './recovery'
import { replyData, type Session } from './session'
import { channelStream, readSince } from './streams'

export interface RequestContext {
  options: ResolvedOptions
  handlers: Map<string, Handler>
  login: Login
  authorize: Authorize
  channels: Channels
  engine(): Engine
  presence: Presence
  push(message: PushInput): Promise<number>
  /** Runs each request once per (user, id) within its window; undefined when `dedupe` is 0. */
  dedupe?: Dedupe
}

/**
 * Reads every frame a client sends and answers it: the built-in events (login, ping, the answer to
 * our ping), then the application's handlers, each request once per user and id when `dedupe` is
 * on. Without dedupe, synchronous on the hot path: only a handler that returns a promise is awaited.
 */
export function createReceiver(context: RequestContext) {
  const { options, handlers, channels, dedupe } = context
  const { log } = options
  const reads = createChannelReads(context)

  async function subscribe(session: Session, user: string, data: unknown, uuid: unknown) {
    const fields = asObject(data)
    const { channel } = fields
    if (!isChannelName(channel)) return session.reply(uuid, ReplyCode.badRequest, badName)
    const { since, bad } = readSince(fields)
    if (bad) return session.reply(uuid, ReplyCode.badRequest, 'since must be null or {epoch, offset}')
    if (!session.channels.has(channel) && session.channels.size >= options.maxSubscriptions) {
      return session.reply(uuid, ReplyCode.badRequest, `at most ${options.maxSubscriptions} subscriptions per socket`)
    }
    const access = await accessTo(context.authorize, channel, { user, socketId: session.id }, log)
    if (!access) return session.reply(uuid, ReplyCode.forbidden, 'not allowed')
    if (session.phase === 'closing' || session.user !== user) return // closed or logged in as someone else meanwhile
    channels.add(session, channel)
    const attached = await attach(context.engine(), session, channelStream(channel), since, log)
    session.reply(uuid, ReplyCode.ok, { channel, epoch: attached.epoch, offset: attached.offset, recovered: attached.recovered })
    attached.flush()
    // Still following it (no unsubscribe, no close while history was read): in its presence now.
    if (session.channels.has(channel) && session.open) context.presence.add(session, channel, user, access)
  }

  function unsubscribe(session: Session, data: unknown, uuid: unknown) {
    const { channel } = asObject(data)
    if (!isChannelName(channel)) return session.reply(uuid, ReplyCode.badRequest, badName)
    channels.remove(session, channel)
    context.presence.remove(session, channel)
    session.recovering.delete(channelStream(channel))
    session.latest.delete(channelStream(channel))
    session.reply(uuid, ReplyCode.ok, 'unsubscribed')
  }

  /** A handler's answer as the reply's body (`undefined` answers `null`), and as the reply's `data` text. */
  const bodyOf = (answer: unknown) => (answer === undefined ? null : answer)
  const answerData = (answer: unknown) => replyData(ReplyCode.ok, bodyOf(answer), log)
  const failureData = (event: string, error: unknown) => replyData(...failure(event, error), log)

  /** The reply's error code and body for a handler that threw or rejected. */
  function failure(event: string, error: unknown): [number, unknown] {
    if (error instanceof ReplyError) return [error.code, error.body]
    log(`handler of "${event}" threw:`, error)
    return [ReplyCode.internal, 'internal error']
  }

  function run(session: Session, user: string, handler: Handler, event: string, data: unknown, uuid: string | number | undefined) {
    let body: unknown
    try {
      body = handler(data, { user, socketId: session.id, push: context.push, requestId: uuid })
    } catch (error) {
      return session.reply(uuid, ...failure(event, error))
    }
    // Closures only for a handler that answers later: most answer at once.
    if (!isThenable(body)) return session.reply(uuid, ReplyCode.ok, bodyOf(body))
    body.then(
      (later) => session.reply(uuid, ReplyCode.ok, bodyOf(later)),
      (error) => session.reply(uuid, ...failure(event, error)),
    )
  }

  /**
   * What `run` would answer, as the reply's `data` text, to be kept for duplicates: at once for a
   * handler that answers at once, a promise for one that returns a promise.
   */
  function settle(session: Session, user: string, handler: Handler, event: string, data: unknown, uuid: string): string | Promise<string> {
    let body: unknown
    try {
      body = handler(data, { user, socketId: session.id, push: context.push, requestId: uuid })
    } catch (error) {
      return failureData(event, error)
    }
    if (!isThenable(body)) return answerData(body)
    return Promise.resolve(body).then(answerData, (error) => failureData(event, error))
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
    if (event === 'login') return void context.login.fromFrame(session, asObject(data), uuid).catch((error) => log('login failed:', error))
    if (event === 'ping') {
      // A one-way ping (no uuid) is answered with a pong frame; a ping request with a reply.
      if (uuid === undefined) return void session.send('{"type":"pong"}')
      const known = session.user !== undefined
      return session.reply(uuid, known ? ReplyCode.ok : ReplyCode.unauthorized, known ? 'pong' : 'not logged in')
    }
    const user = session.user
    if (user === undefined) return session.reply(uuid, ReplyCode.unauthorized, 'login first')
    if (event === 'subscribe') return void subscribe(session, user, data, uuid).catch((error) => log('subscribe failed:', error))
    if (event === 'unsubscribe') return unsubscribe(session, data, uuid)
    if (event === 'history' || event === 'presence') return reads.answer(event, session, user, data, uuid)
    const handler = handlers.get(event)
    if (!handler) return session.reply(uuid, ReplyCode.notFound, `unknown event ${event}`)
    // Numeric ids are the millisecond timestamps of socket.js-style clients: two devices of a user
    // can send the same one, so those requests run as they come, as before dedupe.
    if (!dedupe || typeof uuid !== 'string') return run(session, user, handler, event, data, uuid)
    if (uuid.length > MAX_REQUEST_ID) return session.reply(uuid, ReplyCode.badRequest, `a request id has at most ${MAX_REQUEST_ID} characters`)
    const reply = dedupe.once(user, uuid, () => settle(session, user, handler, event, data, uuid))
    if (typeof reply === 'string') session.replyWith(uuid, reply)
    else void reply.then((text) => session.replyWith(uuid, text))
  }
}

const isThenable = (value: unknown): value is PromiseLike<unknown> => !!value && typeof (value as PromiseLike<unknown>).then === 'function'
