// App.vue's <script lang="ts"> in a uni-app project (uni typed by @dcloudio/types).
import { ClosedError, createSocket, type MpSocket } from 'mp-socket/uni'

export interface Pushes {
  user_tabbar: { type: 'app'; event: 'user_tabbar'; msg: string }
  [chat: `chat${number}`]: { type: 'app'; event: string; msg: string }
}
export interface Requests {
  login: { data: { u: string; token: string }; body: string }
  chat_send: { data: { chat_id: number; text: string }; body: { id: number } }
}

interface StoredUser {
  id: number
  socket_token: string
}

export default {
  globalData: { socket: undefined as MpSocket<Pushes, Requests> | undefined },
  onLaunch() {
    const socket = createSocket<Pushes, Requests>({
      url: 'wss://ws.example.com/ws',
      login: () => {
        const user: StoredUser | '' = uni.getStorageSync('user')
        return user ? { u: 'user:' + user.id, token: user.socket_token } : null
      },
    })
    socket.connectionLoop()
    socket.on('user_tabbar', (message) => {
      uni.setTabBarBadge({ index: Number(message.msg), text: 'new' })
    })
    socket.onStatus((status, previous, error) => {
      if (error instanceof ClosedError) console.log(status, previous, error.code, error.reason)
    })
    this.globalData.socket = socket
  },
}
