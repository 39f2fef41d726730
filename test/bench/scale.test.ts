import { describe, expect, it } from 'vitest'
import { type UnitCost, type Units, WORKLOAD, project } from '../../bench/scale.mjs'

// docs/scaling.md's 100k and 1M rows come from project(): figures measured on one node and one
// redis-server, times the assumed workload. Round inputs, so that each output can be checked by hand.
const cost = (commands: number, memory = 0, perNode = 0): UnitCost => ({ commands, top: [], in: 0, out: 0, memory, perNode, publications: 1 })
const units: Units = {
  login: cost(9, 400),
  subscribe: cost(3, 100),
  firstPush: cost(8, 4000),
  push: cost(8, 100, 160),
  publication: cost(10, 200),
  broadcast: cost(4),
  recovery: cost(4),
  recovered: 1000,
  fullStream: 6000,
  refresh: 2,
  heardCpu: 20,
  redisCapacity: 100_000,
}
const figures = { sockets: 20_000, perSocket: 10_000, perSubscription: 1000, baseRss: 80_000_000, fanout: 300 }

describe('the scale projection', () => {
  it('sizes nodes at the density one node held and counts what every user costs Redis', () => {
    const p = project(1_000_000, figures, units)
    expect(p.nodes).toBe(50)
    expect(p.nodeRss).toBe(80_000_000 + 20_000 * 11_000)
    const pushes = (1_000_000 * WORKLOAD.pushesPerUserPerMinute) / 60
    const channelPublications = (1_000_000 / WORKLOAD.usersPerChannel) * WORKLOAD.channelPublicationsPerSecond
    expect(p.publications).toBeCloseTo(pushes + channelPublications)
    const reconnects = (1_000_000 * WORKLOAD.reconnectsPerUserPerHour) / 3600
    // presence: 2 commands per user per refresh, one refresh per 30 s
    expect(p.commands).toBeCloseTo(pushes * 8 + channelPublications * 10 + reconnects * 4 + (1_000_000 * 2) / 30)
    const perUser = 400 + 100 + 6000
    expect(p.memory).toBeCloseTo(1_000_000 * perUser + (1_000_000 / WORKLOAD.usersPerChannel) * WORKLOAD.historyEntries * 200)
  })

  it('has every node hear every publication, and plans shards by commands and by memory', () => {
    const p = project(1_000_000, figures, units)
    expect(p.deliveries).toBeCloseTo(p.publications * 50)
    expect(p.bytesOut).toBeCloseTo(p.deliveries * 160)
    expect(p.heardCore).toBeCloseTo((p.publications * 20) / 1e6)
    expect(p.shardsByCommands).toBe(Math.ceil(p.commands / (100_000 * WORKLOAD.shardHeadroom)))
    expect(p.shardsByMemory).toBe(Math.ceil(p.memory / WORKLOAD.shardMemory))
    expect(p.shards).toBe(Math.max(p.shardsByCommands, p.shardsByMemory))
    expect(p.limits.map(([, share]) => share)).toEqual([...p.limits.map(([, share]) => share)].sort((a, b) => b - a))
    expect(p.limits[0]).toEqual(["one redis-server's live deliveries", p.deliveries / 100_000])
  })

  it('needs ten times the nodes for ten times the users, and the same CPU on each to hear them all', () => {
    const small = project(100_000, figures, units)
    const large = project(1_000_000, figures, units)
    expect(large.nodes).toBe(small.nodes * 10)
    expect(large.heardCore).toBeCloseTo(small.heardCore * 10)
    expect(large.deliveries).toBeCloseTo(small.deliveries * 100)
  })
})
