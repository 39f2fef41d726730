// Generates the uni_modules package for the DCloud plugin market and HBuilderX users, from the
// built library (`npm run build` first): `<out>/mp-socket/` with the market's package.json,
// js_sdk/index.js (the `mp-socket/uni` entry: ES2015 module, dependencies bundled), its
// declarations, README.md and changelog.md. Users import `@/uni_modules/mp-socket/js_sdk/index.js`.
//   node scripts/uni-modules.mjs [out]   (default: dist/uni_modules)
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
// The market wants `<author-id>-<name>`; "mp-socket" is the npm name, which the market also accepts
// as long as it is free there. Change it here (and in the docs) to publish under an author id.
export const ID = 'mp-socket'

export function generate(out = join(ROOT, 'dist/uni_modules')) {
  const dist = join(ROOT, 'dist')
  if (!existsSync(join(dist, 'uni.mjs'))) throw new Error('dist/ is missing: run `npm run build` first')
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'))
  const target = join(resolve(out), ID)
  rmSync(target, { recursive: true, force: true })
  mkdirSync(join(target, 'js_sdk'), { recursive: true })

  copyFileSync(join(dist, 'uni.mjs'), join(target, 'js_sdk/index.js'))
  // Declarations: the entry's and the chunks it imports (`./name-hash.js` → `name-hash.d.ts`).
  const declarations = ['uni.d.ts']
  for (let i = 0; i < declarations.length; i++) {
    const text = readFileSync(join(dist, declarations[i]), 'utf8')
    for (const [, chunk] of text.matchAll(/from '\.\/([\w-]+)\.js'/g)) {
      if (!declarations.includes(`${chunk}.d.ts`)) declarations.push(`${chunk}.d.ts`)
    }
    writeFileSync(join(target, 'js_sdk', i === 0 ? 'index.d.ts' : declarations[i]), text)
  }

  const market = {
    id: ID,
    displayName: 'mp-socket: dependable WebSocket (request/reply, heartbeat, reconnect)',
    version: pkg.version,
    description: pkg.description,
    keywords: ['websocket', 'socket', 'reconnect', 'heartbeat', 'request'],
    repository: pkg.repository.url.replace(/^git\+/, '').replace(/\.git$/, ''),
    engines: { HBuilderX: '^3.1.0' },
    dcloudext: {
      type: 'sdk-js',
      sale: { regular: { price: '0.00' }, sourcecode: { price: '0.00' } },
      contact: { qq: '' },
      declaration: { ads: '无', data: '插件不采集任何数据', permissions: '无' },
      npmurl: 'https://www.npmjs.com/package/mp-socket',
    },
    uni_modules: {
      dependencies: [],
      encrypt: [],
      platforms: {
        cloud: { tcb: 'y', aliyun: 'y', alipay: 'n' },
        client: {
          Vue: { vue2: 'y', vue3: 'y' },
          App: { 'app-vue': 'y', 'app-nvue': 'u', 'app-uvue': 'n', 'app-harmony': 'u' },
          H5: { Safari: 'y', Chrome: 'y' },
          小程序: { 微信: 'y', 阿里: 'y', 百度: 'y', 字节跳动: 'y', QQ: 'y' },
        },
      },
    },
  }
  writeFileSync(join(target, 'package.json'), `${JSON.stringify(market, null, 2)}\n`)
  writeFileSync(
    join(target, 'README.md'),
    `# mp-socket for uni-app (uni_modules)\n\n` +
      "```js\nimport { createSocket } from '@/uni_modules/mp-socket/js_sdk/index.js'\n```\n\n" +
      `The same code as the npm package's \`mp-socket/uni\` entry, version ${pkg.version}. ` +
      `uni-app x app targets (Android/iOS/Harmony) compile UTS and run no JS: use it there on web and mini-programs only. ` +
      `Documentation: ${market.repository}#readme\n`,
  )
  copyFileSync(join(ROOT, 'CHANGELOG.md'), join(target, 'changelog.md'))
  return { dir: target, files: readdirSync(target, { recursive: true }).map(String).sort() }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { dir, files } = generate(process.argv[2])
  console.log(`${dir}: ${files.join(', ')}`)
}
