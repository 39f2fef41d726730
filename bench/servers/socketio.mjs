// socket.io 4 with the websocket transport only; `echo` answers through the acknowledgement.
import { createServer } from 'node:http'
import { Server } from 'socket.io'

const http = createServer()
const io = new Server(http, { transports: ['websocket'], serveClient: false })
// The fault section's handler: counts its runs by key (after `ms` ms), `runs` tells them.
const runs = new Map()
io.on('connection', (socket) => {
  socket.on('echo', (data, ack) => ack(data))
  socket.on('work', (data, ack) => {
    setTimeout(() => {
      runs.set(data.key, (runs.get(data.key) || 0) + 1)
      ack(data.key)
    }, data.ms || 0)
  })
  socket.on('runs', (ack) => ack([...runs]))
})
http.listen(0, '127.0.0.1', () => console.log(`PORT ${http.address().port}`))
process.on('SIGTERM', () => io.close(() => process.exit(0)))
