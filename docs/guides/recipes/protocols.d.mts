import type { HeartbeatOptions, Protocol } from 'mp-socket'

export declare const tickProtocol: Protocol
export declare const quietHeartbeat: HeartbeatOptions
export declare const firstMessageProtocol: Protocol
export declare const envelopeProtocol: Protocol
