// uni-h5 is installed under examples/uni-app for the browser suites; only `uni` is used here.
declare module '@dcloudio/uni-h5' {
  export const uni: Record<string, (...args: any[]) => any>
}
