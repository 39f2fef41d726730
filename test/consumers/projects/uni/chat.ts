// pages/chat/chat.vue's <script lang="ts">.
import { ServerError, TimeoutError } from 'mp-socket/uni'
import type { MpSocket } from 'mp-socket/uni'
import type { Pushes, Requests } from './App'

const socket = () => getApp<{ globalData: { socket: MpSocket<Pushes, Requests> } }>().globalData.socket

export default {
  data: () => ({ topic: 'chat0' as `chat${number}`, chatId: 0 }),
  onLoad(this: { topic: `chat${number}`; chatId: number; reload(): void }, query: { chat_id?: string }) {
    this.chatId = Number(query.chat_id)
    this.topic = `chat${this.chatId}`
    socket().on(this.topic, () => this.reload())
  },
  onUnload(this: { topic: `chat${number}` }) {
    socket().uninstall(this.topic)
  },
  methods: {
    reload() {},
    async send(this: { chatId: number }, text: string) {
      try {
        const sent = await socket().request('chat_send', { chat_id: this.chatId, text })
        return sent.id
      } catch (error) {
        if (error instanceof ServerError) uni.showToast({ icon: 'none', title: `${error.code}: ${String(error.body)}` })
        else if (error instanceof TimeoutError) uni.showToast({ icon: 'none', title: `no reply in ${error.timeout} ms` })
        return undefined
      }
    },
  },
}
