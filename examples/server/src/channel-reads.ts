import { accessTo, badName, isChannelName, type Authorize } from './channels'
import { ReplyCode } from './codes'
import type { Engine } from './engine'
import { asObject } from './frames'
import { channelHistory, readHistoryQuery } from './history'
import type { Presence } from './presence'
import type { Session } from './session'

export interface ChannelReadsContext {
  authorize: Authorize
  engine(): Engine
  presence: Presence
  options: { log: (...args: unknown[]) => void }
}

/**
 * The `history` and `presence` requests: reads of a channel, authorized as a subscribe is (the
 * socket need not follow the channel), answered 500 when the engine cannot be read.
 */
export function createChannelReads(context: ChannelReadsContext) {
  const { log } = context.options

  /** `{channel, limit, before?}`: the channel's last publications, to whoever may subscribe to it. */
  async function history(session: Session, user: string, data: unknown, uuid: unknown) {
    const fields = asObject(data)
    const { channel } = fields
    if (!isChannelName(channel)) return session.reply(uuid, ReplyCode.badRequest, badName)
    const query = readHistoryQuery(fields)
    if (typeof query === 'string') return session.reply(uuid, ReplyCode.badRequest, query)
    if (!(await accessTo(context.authorize, channel, { user, socketId: session.id }, log))) return session.reply(uuid, ReplyCode.forbidden, 'not allowed')
    const body = await channelHistory(context.engine(), channel, query)
    if (typeof uuid === 'string' || typeof uuid === 'number') session.replyWith(uuid, `{"error":0,"body":${body}}`)
  }

  /** `{channel}`: who follows it, to whoever `authorize` lets see its presence. */
  async function presence(session: Session, user: string, data: unknown, uuid: unknown) {
    const { channel } = asObject(data)
    if (!isChannelName(channel)) return session.reply(uuid, ReplyCode.badRequest, badName)
    const access = await accessTo(context.authorize, channel, { user, socketId: session.id }, log)
    if (!access?.watch) return session.reply(uuid, ReplyCode.forbidden, access ? 'presence not allowed' : 'not allowed')
    session.reply(uuid, ReplyCode.ok, await context.presence.read(channel))
  }

  return {
    answer(event: 'history' | 'presence', session: Session, user: string, data: unknown, uuid: unknown) {
      const read = event === 'history' ? history : presence
      read(session, user, data, uuid).catch((error: Error) => {
        log(event, 'failed:', error.message)
        session.reply(uuid, ReplyCode.internal, `${event} unavailable`)
      })
    },
  }
}
