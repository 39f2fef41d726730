// The near-limit baseline: raw `ws`, the seed's {event,data,uuid} -> respon exchange by hand.
import { WebSocketServer } from 'ws'

const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 })
wss.on('connection', (socket) => {
  socket.on('message', (raw) => {
    const { data, uuid } = JSON.parse(raw)
    socket.send(JSON.stringify({ type: 'respon', event: uuid, data: { error: 0, body: data } }))
  })
})
wss.on('listening', () => console.log(`PORT ${wss.address().port}`))
process.on('SIGTERM', () => wss.close(() => process.exit(0)))
