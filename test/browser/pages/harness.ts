// A page that exposes the SDK to the test, which drives it with page.evaluate().
import * as mp from '../../../src/index'

declare global {
  interface Window {
    mp: typeof mp
    /** The client a test started in this page with `page.evaluate()`. */
    socket: mp.MpSocket
  }
}

// Called, not run on import: the package is `sideEffects: false`, so a bare import would be dropped.
export function exposeSdk() {
  window.mp = mp
}

exposeSdk()
