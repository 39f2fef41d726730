export { createSocket } from './create'
export { MpSocketError, TimeoutError, ClosedError, ServerError, OfflineError, FinalError, KickedError, AuthError } from './errors'
export { jsonProtocol, parseJsonObject } from './protocol'
export type { Frame, Incoming, OutgoingFrame, Protocol } from './protocol'
export { web } from './adapters/web'
export type { WebSocketConstructor, WebSocketLike } from './adapters/web'
export { taro } from './adapters/taro'
export type { TaroApi } from './adapters/taro'
export { miniProgram } from './adapters/miniprogram'
export type { MiniProgramApi } from './adapters/miniprogram'
export { uniAdapter } from './adapters/uni'
export type { RuntimeName } from './adapters/auto'
export type { Adapter, ConnectOptions, Connection, ConnectionHandlers } from './adapters/types'
export type {
  BodyOf,
  DataOf,
  MpSocket,
  PushMap,
  PushOf,
  RequestMap,
  RequestOptions,
  Status,
  StatusListener,
  Untyped,
} from './types'
export type { ConnectContext, HeartbeatOptions, Logger, QueueOptions, ReconnectOptions, SocketOptions } from './options'
