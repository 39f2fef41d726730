// The uni-app H5 page: the SDK bundled with the real uni implementation, exposed for the test to
// check that runtime: 'auto' went through uni.connectSocket.
import { uni } from '@dcloudio/uni-h5'
import { exposeSdk } from './harness'

declare global {
  interface Window {
    uniH5: typeof uni
  }
}
exposeSdk()
window.uniH5 = uni
