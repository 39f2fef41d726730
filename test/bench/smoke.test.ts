import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

// The benchmark is not a test, but it must not rot: a quick run (tiny counts, nothing written)
// has to finish and print every section. No figure is checked. It gets minutes: on a busy 2-core
// machine the multi-node sections alone took over 4. The multi-node sections (recovery
// storm, channel fan-out, history cost, and dedupe in Redis) start redis-server, three nodes of each library and client
// processes, and the scale section a node of each library with 200 sockets: a failure anywhere in them fails this run. The cluster section starts a Redis Cluster of three masters too.
describe('npm run bench', () => {
  it('runs every section in quick mode', () => {
    const result = spawnSync(process.execPath, [join(__dirname, '../../bench/run.mjs'), '--quick'], { encoding: 'utf8', timeout: 540_000 })
    expect(result.status, result.stderr).toBe(0)
    for (const section of ['== size', '== request/reply throughput and latency', '== duplicates and losses under faults', '== dedupe cost', '== push fan-out', '== idle connections', '== reconnect storm', '== client memory', '== recovery storm', '== channel fan-out', '== history cost in Redis', '== scale', '== Redis Cluster: channel fan-out and recovery storm']) {
      expect(result.stdout).toContain(section)
    }
    expect(result.stdout).toContain('| **mp-socket/wx** |')
    expect(result.stdout).toContain('socket.io 4 emitWithAck')
    for (const mode of ['dedupe off (DEDUPE=0)', 'in memory (default)', 'in Redis (REDIS_URL)']) {
      for (const concurrency of [1, 64]) expect(result.stdout).toContain(`| ${concurrency} | ${mode} |`)
    }
    expect(result.stdout).toContain('| mp-socket request() (defaults; server dedupe on) |')
    expect(result.stdout).toContain('| socket.io 4 emitWithAck, retries: 3, ackTimeout: 2000 |')
    expect(result.stdout).toContain('| mp-socket | push to: "*" |')
    expect(result.stdout).toContain('| socket.io 4 + redis-streams-adapter | emit to everyone |')
    expect(result.stdout).toContain('| recovery: login and subscribe again, one missed on each stream |')
    for (const kill of ['SIGKILL', 'SIGTERM']) {
      expect(result.stdout).toContain(`| ${kill} | mp-socket |`)
      expect(result.stdout).toContain(`| ${kill} | socket.io 4 + redis-streams-adapter |`)
    }
    for (const library of ['mp-socket', 'socket.io 4 + redis-adapter (sharded)']) expect(result.stdout).toContain(`| ${library} | 40 |`)
  }, 600_000)
})
