// A Redis Cluster of three masters for the cluster section of `npm run bench`: redis-server
// processes on free loopback ports (the servers' CPU, no persistence), joined by
// `redis-cli --cluster create`; the same face as startRedis in cluster.mjs (env, flush, commands
// and memory summed over the masters).
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { freePort, sleep, startRedisServer } from './cluster.mjs'

const run = promisify(execFile)

async function startNode(directory) {
  const port = await freePort()
  const { child, exited, client } = await startRedisServer(port, ['--cluster-enabled', 'yes', '--cluster-config-file', join(directory, `nodes-${port}.conf`), '--dir', directory])
  return { port, address: `127.0.0.1:${port}`, child, exited, client }
}

export async function startRedisCluster(masters = 3) {
  const directory = mkdtempSync(join(tmpdir(), 'mp-socket-bench-cluster-'))
  const nodes = []
  const stop = async () => {
    for (const node of nodes) {
      await node.client.destroy()
      node.child.kill('SIGKILL')
      await node.exited
    }
    rmSync(directory, { recursive: true, force: true })
  }
  try {
    for (let i = 0; i < masters; i++) nodes.push(await startNode(directory))
    await run('redis-cli', ['--cluster', 'create', ...nodes.map((node) => node.address), '--cluster-replicas', '0', '--cluster-yes'])
    for (const deadline = Date.now() + 30_000; ; await sleep(100)) {
      const infos = await Promise.all(nodes.map((node) => node.client.sendCommand(['CLUSTER', 'INFO'])))
      if (infos.every((info) => String(info).includes('cluster_state:ok') && String(info).includes(`cluster_known_nodes:${masters}`))) break
      if (Date.now() > deadline) throw new Error(`the cluster is not ready:\n${infos.join('\n')}`)
    }
  } catch (error) {
    await stop()
    throw error
  }
  const sumOf = (values) => values.reduce((a, b) => a + b, 0)
  return {
    pids: nodes.map((node) => node.child.pid),
    env: { REDIS_CLUSTER: nodes.map((node) => node.address).join(',') },
    client: { flushAll: () => Promise.all(nodes.map((node) => node.client.flushAll())) },
    /** Calls per command from INFO commandstats, summed over the masters. */
    async commandCalls() {
      const calls = {}
      for (const node of nodes) {
        for (const match of (await node.client.info('commandstats')).matchAll(/cmdstat_([^:]+):calls=(\d+)/g)) calls[match[1]] = (calls[match[1]] || 0) + Number(match[2])
      }
      return calls
    },
    async usedMemory() {
      return sumOf(await Promise.all(nodes.map(async (node) => Number((await node.client.info('memory')).match(/used_memory:(\d+)/)[1]))))
    },
    stop,
  }
}
