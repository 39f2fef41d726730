// The peer on a Redis Cluster: one socket.io 4 node with @socket.io/redis-adapter's sharded adapter
// (SPUBLISH/SSUBSCRIBE through node-redis cluster clients, REDIS_CLUSTER=host:port,...). It has no
// connection-state recovery (that needs the streams adapter), so it takes part in the fan-out only.
// Sockets log in and get pushes as socketio-peer.mjs has them.
import { createShardedAdapter } from '@socket.io/redis-adapter'
import { createCluster } from 'redis'
import { startPeer } from './socketio-peer.mjs'

const pub = createCluster({ rootNodes: process.env.REDIS_CLUSTER.split(',').map((node) => ({ url: `redis://${node}` })) })
const sub = pub.duplicate()
for (const client of [pub, sub]) client.on('error', (error) => console.error('redis:', error.message))
await Promise.all([pub.connect(), sub.connect()])

// "static": one channel per namespace. Its default, "dynamic" (a channel per room), kills the process
// with node-redis 5.12's cluster client once rooms empty: the unsubscribe of a shard's last channel
// destroys a pub/sub client already closed (an unhandled ClientClosedError).
const io = startPeer({ adapter: createShardedAdapter(pub, sub, { subscriptionMode: 'static' }) })
// Not closing the Redis clients: the adapter's unsubscribes, still under way, would meet a closed client and throw.
process.on('SIGTERM', () => io.close(() => process.exit(0)))
