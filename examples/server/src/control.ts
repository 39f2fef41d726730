import { randomUUID } from 'node:crypto'
import { parseDisconnect, type DisconnectOrder } from './disconnect'
import { connectRedis, type RedisTarget } from './redis-connection'
import { redisKeys } from './redis-keys'

/**
 * What one node is asked about its own sockets; the cluster's answer is the sum over every node:
 * close the sockets of some users, or count the followers of a channel or everyone logged in.
 */
export type Question = { disconnect: DisconnectOrder } | { subscribers: string } | { everyone: true }

/** Asks every node (this one included) and sums their answers. */
export interface Control {
  ask(question: Question): Promise<number>
  close(): Promise<void>
}

export type Answer = (question: Question) => number

/** One process: this node is the whole cluster. */
export function localControl(answer: Answer): Control {
  return { ask: async (question) => answer(question), close: async () => {} }
}

export interface RedisControlOptions {
  redis: RedisTarget
  prefix: string
  nodeId: string
  log: (...args: unknown[]) => void
}

/**
 * A node that does not answer within this long (it crashed after hearing the question) is
 * counted as 0, in ms.
 */
const ANSWER_DEADLINE = 2000

/**
 * Several nodes: a question is published on `<prefix>:control`, which every node follows once, so
 * SPUBLISH's reply is the number of nodes that will answer; each answers its count on
 * `<prefix>:answer:<asking node>`. Both are sharded channels: on a cluster, a classic PUBLISH counts
 * only the subscribers of the node it reached, while every node follows a sharded channel on the
 * master of its slot, the node SPUBLISH goes to. Its own connections, so the engine's stay as they are.
 */
export async function redisControl(options: RedisControlOptions, answer: Answer): Promise<Control> {
  const { nodeId, log } = options
  const { control: questions, answer: answers } = redisKeys(options.prefix)
  const { commands, subscriber, destroy } = await connectRedis(options.redis, log)

  interface Pending {
    /** How many nodes heard the question: unknown until PUBLISH returns, which may be after some answers. */
    expected?: number
    answered: number
    sum: number
    done(): void
  }
  const pending = new Map<string, Pending>()

  const settle = (id: string) => {
    const entry = pending.get(id)
    if (entry && entry.expected !== undefined && entry.answered >= entry.expected) entry.done()
  }

  await subscriber.sSubscribe(questions, (raw) => {
    let message: { id?: unknown; from?: unknown; question?: unknown }
    try {
      message = JSON.parse(raw)
    } catch {
      return log('ignored a malformed message on', questions)
    }
    const question = readQuestion(message.question)
    if (typeof message.id !== 'string' || typeof message.from !== 'string' || !question) return log('ignored a malformed message on', questions)
    const count = answer(question)
    commands.sPublish(answers(message.from), JSON.stringify({ id: message.id, count })).catch((error) => log('control answer failed:', error.message))
  })
  await subscriber.sSubscribe(answers(nodeId), (raw) => {
    let message: { id?: unknown; count?: unknown }
    try {
      message = JSON.parse(raw)
    } catch {
      return
    }
    const entry = typeof message.id === 'string' ? pending.get(message.id) : undefined
    if (!entry || typeof message.count !== 'number') return
    entry.answered++
    entry.sum += message.count
    settle(message.id as string)
  })
  return {
    async ask(question) {
      const id = randomUUID()
      let timer: NodeJS.Timeout | undefined
      const result = new Promise<number>((resolve) => {
        const entry: Pending = {
          answered: 0,
          sum: 0,
          done: () => {
            clearTimeout(timer)
            pending.delete(id)
            resolve(entry.sum)
          },
        }
        pending.set(id, entry)
        timer = setTimeout(entry.done, ANSWER_DEADLINE)
      })
      try {
        const heard = await commands.sPublish(questions, JSON.stringify({ id, from: nodeId, question }))
        const entry = pending.get(id)
        if (entry) entry.expected = heard
        settle(id)
      } catch (error) {
        pending.get(id)?.done()
        throw error
      }
      return result
    },
    async close() {
      for (const entry of [...pending.values()]) entry.done()
      destroy()
    },
  }
}

/** A question as it came over Redis, checked: anyone who can publish to Redis can send one. */
function readQuestion(value: unknown): Question | undefined {
  if (!value || typeof value !== 'object') return undefined
  const question = value as Record<string, unknown>
  if ('disconnect' in question) {
    const order = parseDisconnect(question.disconnect)
    return typeof order === 'string' ? undefined : { disconnect: order }
  }
  if (typeof question.subscribers === 'string') return { subscribers: question.subscribers }
  if (question.everyone === true) return { everyone: true }
  return undefined
}
