import { miniProgram, type MiniProgramApi } from './miniprogram'
import type { SocketTaskLike } from './task'
import type { Adapter } from './types'

const DIGITS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'

/** Base64 of binary data: Alipay sends binary as base64 text with `isBuffer: true`. @internal */
export function toBase64(buffer: ArrayBuffer): string {
  const bytes = new Uint8Array(buffer)
  let text = ''
  for (let i = 0; i < bytes.length; i += 3) {
    const triple = (bytes[i] << 16) | ((bytes[i + 1] || 0) << 8) | (bytes[i + 2] || 0)
    const padding = i + 2 < bytes.length ? 0 : i + 1 < bytes.length ? 1 : 2
    for (let j = 0; j < 4 - padding; j++) text += DIGITS[(triple >> (18 - 6 * j)) & 63]
    text += '=='.slice(0, padding)
  }
  return text
}

/** The bytes of base64 text (padding and characters outside the alphabet are skipped). @internal */
export function fromBase64(text: string): ArrayBuffer {
  const bytes: number[] = []
  let bits = 0
  let count = 0
  for (let i = 0; i < text.length; i++) {
    const value = DIGITS.indexOf(text[i])
    if (value < 0) continue
    bits = (bits << 6) | value
    count += 6
    if (count >= 8) {
      count -= 8
      bytes.push((bits >> count) & 255)
    }
  }
  return new Uint8Array(bytes).buffer
}

type AlipayMessage = { data?: unknown; isBuffer?: boolean }
type AlipayStorage = { get(options: { key: string }): { data?: unknown }; set(options: { key: string; data: string }): void }

/**
 * Alipay (`my`): asks for a SocketTask with `multiple: true` (without it there is one global socket
 * and a second connect fails), sends `protocols` as a header (Alipay intercepts the option), and
 * carries binary as base64 with `isBuffer`, both ways. The message shape differs between base
 * libraries: `{data, isBuffer}` or `{data: {data, isBuffer}}`; both are read.
 */
export function alipay(api: MiniProgramApi): Adapter {
  return miniProgram({
    onAppShow: api.onAppShow && api.onAppShow.bind(api),
    offAppShow: api.offAppShow && api.offAppShow.bind(api),
    onAppHide: api.onAppHide && api.onAppHide.bind(api),
    offAppHide: api.offAppHide && api.offAppHide.bind(api),
    // Alipay's storage takes and returns objects: `my.getStorageSync({ key })` is `{ data }`.
    getStorageSync: api.getStorageSync && ((key) => (api.getStorageSync as unknown as AlipayStorage['get'])({ key }).data),
    setStorageSync: api.setStorageSync && ((key, data) => (api.setStorageSync as unknown as AlipayStorage['set'])({ key, data })),
    onNetworkStatusChange: api.onNetworkStatusChange && api.onNetworkStatusChange.bind(api),
    offNetworkStatusChange: api.offNetworkStatusChange && api.offNetworkStatusChange.bind(api),
    connectSocket(options) {
      const { protocols, header } = options
      const task = api.connectSocket(
        Object.assign({}, options, {
          multiple: true,
          protocols: undefined,
          header: protocols && protocols.length ? Object.assign({ 'Sec-WebSocket-Protocol': protocols.join(', ') }, header) : header,
        }),
      )
      return {
        send: ({ data, fail }) =>
          typeof data === 'string' ? task.send({ data, fail }) : task.send({ data: toBase64(data), isBuffer: true, fail } as never),
        close: (close) => task.close(close),
        onOpen: (callback) => task.onOpen(callback),
        onMessage: (callback) =>
          task.onMessage((result) => {
            const outer = (result || {}) as AlipayMessage
            const message = outer.data && typeof outer.data === 'object' && !(outer.data instanceof ArrayBuffer) ? (outer.data as AlipayMessage) : outer
            const { data } = message
            callback({ data: message.isBuffer && typeof data === 'string' ? fromBase64(data) : data })
          }),
        onClose: (callback) => task.onClose(callback),
        onError: (callback) => task.onError(callback),
      } satisfies SocketTaskLike
    },
  })
}
