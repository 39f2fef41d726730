// A Redis Cluster of three masters for the cluster section of `npm run bench`: redis-server
// processes on free loopback ports (the servers' CPU, no persistence), joined by
// `redis-cli --cluster create`; the same face as startRedis in cluster.mjs (env, flush, commands
// and memory summed over the masters).
import { execFile, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { createClient } from 'redis'
import { command } from './lib.mjs'
import { sleep } from './cluster.mjs'

const run = promisify(execFile)

async function freePort() {
  const { createServer } = await import('node:net')
  const server = createServer()
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address()
  await new Promise((resolve) => server.close(resolve))
  return port
}

async function startNode(directory) {
  const port = await freePort()
  const [file, args] = command(1, ['--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes', '--cluster-config-file', join(directory, `nodes-${port}.conf`), '--save', '', '--appendonly', 'no', '--dir', directory], 'redis-server')
  const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'inherit'] })
  child.once('error', () => {})
  const exited = new Promise((resolve) => child.once('exit', resolve))
  await new Promise((resolve, reject) => {
    let output = ''
    const timer = setTimeout(() => reject(new Error(`redis-server did not start (apt-get install -y redis-server): ${output}`)), 15_000)
    child.stdout.on('data', (chunk) => {
      output += chunk
      if (/Ready to accept connections/.test(output)) {
        clearTimeout(timer)
        resolve()
      }
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`redis-server exited with ${code}: ${output}`))
    })
  })
  child.stdout.resume()
  const client = createClient({ url: `redis://127.0.0.1:${port}` })
  client.on('error', () => {})
  await client.connect()
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
