import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { createCluster } from 'redis'
import { eventually, freePort } from './processes'

const run = promisify(execFile)

export interface RedisClusterNode {
  port: number
  /** `127.0.0.1:<port>`, as redis-cli and REDIS_CLUSTER name it. */
  address: string
  child: ChildProcess
  /** `redis-cli -p <port> <args>` (with `-c`: following MOVED as a backend's cluster client would), its output trimmed. */
  cli(args: string[], options?: { follow?: boolean }): Promise<string>
  stop(): Promise<void>
}

/**
 * A Redis Cluster of `masters` redis-server processes on loopback ports (no persistence, their
 * cluster files in a temporary directory), made with `redis-cli --cluster create` and waited for
 * until every node says `cluster_state:ok`; `replica()` adds one more node as a replica of a master.
 * `stop()` kills them all and removes the directory.
 */
export async function startRedisCluster(masters = 3) {
  const directory = mkdtempSync(join(tmpdir(), 'mp-socket-cluster-'))
  const nodes: RedisClusterNode[] = []

  async function startNode() {
    const port = await freePort()
    const child = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes', '--cluster-config-file', join(directory, `nodes-${port}.conf`), '--save', '', '--appendonly', 'no', '--dir', directory],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    )
    child.once('error', () => {})
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
    let output = ''
    child.stdout!.on('data', (chunk) => (output += chunk))
    child.stderr!.on('data', (chunk) => (output += chunk))
    await eventually(() => {
      if (child.exitCode !== null) throw new Error(`redis-server exited: ${output}`)
      if (!output.includes('Ready to accept connections')) throw new Error(`redis-server did not start (install it: apt-get install -y redis-server): ${output}`)
    })
    const node: RedisClusterNode = {
      port,
      address: `127.0.0.1:${port}`,
      child,
      async cli(args, options = {}) {
        const { stdout } = await run('redis-cli', [...(options.follow ? ['-c'] : []), '-p', String(port), ...args])
        return stdout.trim()
      },
      async stop() {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
        await exited
      },
    }
    nodes.push(node)
    return node
  }

  const allOk = () =>
    eventually(async () => {
      for (const node of nodes) {
        const info = await node.cli(['CLUSTER', 'INFO'])
        if (!info.includes('cluster_state:ok') || !info.includes(`cluster_known_nodes:${nodes.length}`)) throw new Error(`${node.address} is not ready:\n${info}`)
      }
    }, 30_000, 100)

  const cluster = {
    nodes,
    /** What REDIS_CLUSTER is given: every master. */
    get env() {
      return nodes.map((node) => node.address).join(',')
    },
    /** The node whose master holds `key`'s slot now (CLUSTER KEYSLOT, then CLUSTER SLOTS). */
    async masterOf(key: string) {
      const slot = Number(await nodes[0].cli(['CLUSTER', 'KEYSLOT', key]))
      const ranges = await nodes[0].cli(['--json', 'CLUSTER', 'SLOTS']).then(JSON.parse) as Array<[number, number, [string, number, ...unknown[]]]>
      const range = ranges.find(([from, to]) => slot >= from && slot <= to)
      if (!range) throw new Error(`no master holds slot ${slot}`)
      const node = nodes.find((candidate) => candidate.port === Number(range[2][1]))
      if (!node) throw new Error(`slot ${slot} is on an unknown node ${range[2].join(':')}`)
      return node
    },
    /** The nodes that are masters now (after a failover, a replica may be one). */
    async masters() {
      const roles = await Promise.all(nodes.map((node) => node.cli(['ROLE'])))
      return nodes.filter((_, i) => roles[i].startsWith('master'))
    },
    /** A cluster client, as the test's backend would use: stopped with the cluster. */
    async client() {
      const client = createCluster({ rootNodes: nodes.map((node) => ({ url: `redis://${node.address}` })) })
      client.on('error', () => {})
      await client.connect()
      clients.push(client)
      return client
    },
    /** One more node, a replica of `master`, once the cluster knows it and it is in sync. */
    async replica(master: RedisClusterNode) {
      const node = await startNode()
      const masterId = await master.cli(['CLUSTER', 'MYID'])
      await run('redis-cli', ['--cluster', 'add-node', node.address, master.address, '--cluster-slave', '--cluster-master-id', masterId]).catch((error) => {
        throw new Error(`redis-cli --cluster add-node failed:\n${error.stdout}${error.stderr}`)
      })
      await allOk()
      await eventually(async () => {
        const info = await node.cli(['INFO', 'replication'])
        if (!info.includes('master_link_status:up')) throw new Error(`replica ${node.address} is not in sync:\n${info}`)
      }, 30_000, 100)
      return node
    },
    async stop() {
      for (const client of clients.splice(0)) client.destroy()
      await Promise.all(nodes.map((node) => node.stop()))
      rmSync(directory, { recursive: true, force: true })
    },
  }
  const clients: Array<ReturnType<typeof createCluster>> = []

  try {
    for (let i = 0; i < masters; i++) await startNode()
    await run('redis-cli', ['--cluster', 'create', ...nodes.map((node) => node.address), '--cluster-replicas', '0', '--cluster-yes'])
    await allOk()
  } catch (error) {
    await cluster.stop()
    throw error
  }
  return cluster
}

export type RedisCluster = Awaited<ReturnType<typeof startRedisCluster>>
