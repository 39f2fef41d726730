// socket.io 4 with the websocket transport only; `echo` answers through the acknowledgement.
import { createServer } from 'node:http'
import { Server } from 'socket.io'

const http = createServer()
const io = new Server(http, { transports: ['websocket'], serveClient: false })
io.on('connection', (socket) => socket.on('echo', (data, ack) => ack(data)))
http.listen(0, '127.0.0.1', () => console.log(`PORT ${http.address().port}`))
process.on('SIGTERM', () => io.close(() => process.exit(0)))
