import type { Protocol } from 'mp-socket'

/** The close code a `{"flag":"close"}` without a `code` stands for: 4409, final (KickedError). */
export declare const FLAG_CLOSE_CODE: 4409
/** The ride-hailing app's flag messages as a Protocol, with `msg_id`/`reply_to` for requests. */
export declare const flagProtocol: Protocol
