import type { WebSocket } from 'ws'

export interface RideServerOptions {
  host?: string
  /** 0 picks a free port. */
  port?: number
  /** Tokens the server accepts, with who they are. */
  users: Record<string, { role: string; name: string }>
  /** Bearer token of `POST /push`; without it the route answers 401. */
  secret?: string
  /** ms a socket may stay without logging in. @default 2000 */
  loginTimeout?: number
  log?: (...args: unknown[]) => void
}

export interface RideServer {
  /** token → its socket */
  readonly online: Map<string, WebSocket>
  /** token → logins it made */
  readonly logins: Map<string, number>
  readonly port: number
  readonly url: string
  listen(): Promise<void>
  close(): Promise<void>
}

export declare function createRideServer(options: RideServerOptions): RideServer
