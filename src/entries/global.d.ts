// The `MpSocket` global of the <script> build (`dist/mp-socket.global.js`), which holds what
// `mp-socket/web` exports. Pages without a bundler reference it with
// `/// <reference types="mp-socket/global" />`. The build copies this file next to the script.
declare const MpSocket: typeof import('./web')
