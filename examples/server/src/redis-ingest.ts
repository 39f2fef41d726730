import type { EngineListener } from './engine'
import { ingestNamer, mapIngest, type IngestRule } from './ingest'
import { publicationData, targetsOf } from './push'
import type { RedisSubscriber } from './redis-connection'
import type { Publication } from './streams'

/** How long an ingest claim is remembered, in ms: far longer than nodes hear the same message apart. */
export const CLAIM_WINDOW = 30_000

type ClaimingPublish = (stream: string, data: string, claim: string) => Promise<Publication | undefined>

/**
 * Every node hears an ingest channel; each message is named the same on every node (ingestNamer)
 * and published with that name as its claim, so that one node stores and delivers it.
 */
export async function subscribeIngest(subscriber: RedisSubscriber, rules: IngestRule[], publish: ClaimingPublish, listener: EngineListener, log: (...args: unknown[]) => void) {
  const nameOf = ingestNamer(CLAIM_WINDOW)
  for (const rule of rules) {
    await subscriber.subscribe(rule.from, (raw) => {
      const name = nameOf(rule.from, raw)
      let messages
      try {
        messages = mapIngest(rule, raw)
      } catch (error) {
        return log('ingest mapping of', rule.from, 'threw:', (error as Error).message)
      }
      if (messages.length === 0) return log('ignored a message on', rule.from, 'that maps to no push')
      for (const message of messages) {
        let data: string
        try {
          data = publicationData(message)
        } catch (error) {
          log('ignored a push from', rule.from, (error as Error).message)
          continue
        }
        const { streams, everyone } = targetsOf(message)
        // A broadcast has no history: each node hands it to its own sockets.
        if (everyone) listener.broadcast(data)
        for (const stream of streams) {
          publish(stream, data, name).catch((error) => log('ingest publish failed:', (error as Error).message))
        }
      }
    })
  }
}
