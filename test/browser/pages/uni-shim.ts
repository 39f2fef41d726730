// Injected by esbuild for every free `uni` in the bundle, the SDK's included: what uni-app's own
// H5 build does when it rewrites `uni.xxx` calls into imports of the real implementation.
export { uni } from '@dcloudio/uni-h5'
