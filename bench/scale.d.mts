// Types of scale.mjs for test/docs/scaling.test.ts and test/bench/scale.test.ts: docs/scaling.md's
// generated block and quotes, and the projection from measured figures to 100k and 1M users.
export const SCALE_BLOCK: RegExp
export const SCALE_QUOTE: RegExp
export const WORKLOAD: {
  pushesPerUserPerMinute: number
  reconnectsPerUserPerHour: number
  usersPerChannel: number
  channelPublicationsPerSecond: number
  historyEntries: number
  shardHeadroom: number
  shardMemory: number
}
/** What one unit of work cost in Redis: commands, bytes in and out, memory; `perNode`: bytes each node hears. */
export interface UnitCost {
  commands: number
  top: string[]
  in: number
  out: number
  memory: number
  perNode: number
  publications: number
}
export interface Units {
  login: UnitCost
  subscribe: UnitCost
  firstPush: UnitCost
  push: UnitCost
  publication: UnitCost
  broadcast: UnitCost
  recovery: UnitCost
  recovered: number
  /** Redis memory of one user stream holding WORKLOAD.historyEntries entries */
  fullStream: number
  /** commands per logged-in user per presence refresh */
  refresh: number
  /** µs of a node's CPU per publication it hears for none of its sockets */
  heardCpu: number
  /** SET commands per second of the measured redis-server, null when redis-benchmark failed */
  redisCapacity: number | null
}
export interface Figures {
  sockets: number
  perSocket: number
  perSubscription?: number
  baseRss: number
  fanout: number
}
export interface Projection {
  users: number
  nodes: number
  nodeRss: number
  publications: number
  commands: number
  memory: number
  deliveries: number
  bytesOut: number
  heardCore: number
  shardsByCommands: number
  shardsByMemory: number
  shards: number
  /** [limit, share of it used], the closest first */
  limits: Array<[string, number]>
}
export function project(users: number, figures: Figures, units: Units): Projection
export function writeScaling(text: string, figures: { generated: string; values: Record<string, string> }): string
