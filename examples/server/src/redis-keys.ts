import keySlot from 'cluster-key-slot'

/**
 * Streams are spread over this many buckets. Each bucket is one hash tag, so everything a script
 * touches for one stream (its keys, an ingest claim, the live channel it publishes on) is in one
 * slot of a Redis Cluster, and every node follows the buckets' live channels: 256 sharded
 * subscriptions, whatever the number of streams.
 */
export const BUCKETS = 256
const SLOTS = 16384
const SLOTS_PER_BUCKET = SLOTS / BUCKETS

// Bucket b holds the streams whose own slot is in [64b, 64b + 64); its tag is the smallest number
// whose slot is in that range too. So the buckets cover the slots evenly, a master holds the buckets
// of its slot ranges, and a stream's bucket lives where a key named after the stream would.
const TAGS: string[] = []
for (let n = 0, found = 0; found < BUCKETS; n++) {
  const bucket = Math.floor(keySlot(String(n)) / SLOTS_PER_BUCKET)
  if (TAGS[bucket] === undefined) {
    TAGS[bucket] = String(n)
    found++
  }
}

/** The hash tag (without braces) of the bucket of `stream` (`u:<user>` or `c:<channel>`). */
export const tagOf = (stream: string) => TAGS[Math.floor(keySlot(stream) / SLOTS_PER_BUCKET)]

/**
 * The names of the engine's keys and channels under `prefix` (docs/server.md, "Redis keys"). The
 * ones of a stream carry its bucket's tag first, `{<tag>}`, which is what Redis Cluster hashes:
 * so `prefix` itself must not hold braces.
 */
export function redisKeys(prefix: string) {
  return {
    /** A stream's history and position, one key (redis-scripts.ts). */
    history: (stream: string) => `${prefix}:history:{${tagOf(stream)}}:${stream}`,
    /** An ingest message claimed for one stream: in the stream's slot, as the script checks it. */
    claim: (claim: string, stream: string) => `${prefix}:claim:{${tagOf(stream)}}:${claim}:${stream}`,
    /** The sharded channel a publication to `stream` is announced on. */
    live: (stream: string) => `${prefix}:live:{${tagOf(stream)}}`,
    /** Every bucket's live channel: what each node follows. */
    allLive: () => TAGS.map((tag) => `${prefix}:live:{${tag}}`),
    online: (user: string) => `${prefix}:online:${user}`,
    members: (channel: string) => `${prefix}:members:${channel}`,
    dedupe: (user: string, id: string) => `${prefix}:dedupe:${JSON.stringify(user)}:${id}`,
    dedupeScope: `${prefix}:dedupe-scope`,
    /** Sharded channels, so that SPUBLISH's reply counts every node even on a cluster. */
    control: `${prefix}:control`,
    answer: (node: string) => `${prefix}:answer:${node}`,
  }
}

export type RedisKeys = ReturnType<typeof redisKeys>
