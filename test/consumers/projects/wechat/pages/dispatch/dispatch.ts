// A page that follows a typed channel: its publications have their own map, apart from the pushes
// the app's socket gets (`Pushes`), so a channel-only event does not type-check on `socket.on`.
import type { Subscription } from 'mp-socket/wx'
import type { IAppOption } from '../../app'

interface Fleet {
  location: { type: 'app'; event: 'location'; msg: { user_id: string; lat: number; lng: number } }
}

Page({
  data: { couriers: [] as string[], online: 0, last: '' },
  fleet: undefined as Subscription<Fleet> | undefined,
  onLoad() {
    const socket = getApp<IAppOption>().socket
    if (!socket) return
    const fleet = socket.subscribe<Fleet>('fleet')
    this.fleet = fleet
    fleet.on('location', (message) => this.setData({ last: `${message.msg.user_id} ${message.msg.lat.toFixed(5)}` }))
    // @ts-expect-error `location` is published on the channel, never pushed to the user
    socket.on('location', () => {})
    fleet.onPresence(({ joined, left }) => this.setData({ couriers: [...this.data.couriers.filter((user) => !left.includes(user)), ...joined] }))
    fleet.presence().then(({ users, count }) => this.setData({ couriers: users, online: count }), () => {})
    fleet.history({ limit: 20 }).then((entries) => {
      const newest = entries[entries.length - 1]
      if (newest) this.setData({ last: `${newest.message.msg.user_id} at offset ${newest.position.offset}` })
    }, () => {})
  },
  onUnload() {
    if (this.fleet) this.fleet.unsubscribe()
  },
})
