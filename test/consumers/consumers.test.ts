// What users compile, strict, against the package as published (`npm pack`), with the official
// typings of each runtime: uni-app (@dcloudio/types), native WeChat (miniprogram-api-typings),
// Taro (@tarojs/taro), the DOM, and `ws` in Node. Every code block of README.md and docs/ (of
// docs/guides/, the TypeScript ones) is compiled too, in the setting its section is about, and
// the oldest TypeScript we support (4.5, `moduleResolution: "node"`, as old WeChat and uni-app
// tsconfigs have it) compiles a project.
import { spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { wholeFileCode } from '../support/docs'
import { pack, ROOT, type Packed } from '../support/pack'

const HERE = __dirname
const OWN_MODULES = join(HERE, 'node_modules')

interface Kind {
  /** `compilerOptions.types`: the runtime's global typings. */
  types: string[]
  lib: string[]
}
const KINDS: Record<string, Kind> = {
  uni: { types: ['@dcloudio/types'], lib: ['ES2020', 'DOM'] },
  wechat: { types: ['miniprogram-api-typings'], lib: ['ES2020'] },
  taro: { types: [], lib: ['ES2020', 'DOM'] },
  browser: { types: [], lib: ['ES2020', 'DOM'] },
  node: { types: ['node'], lib: ['ES2020'] },
}

/**
 * Where each README section's code runs. A new section with code must be added here. `run`: the
 * code is examples/wechat-native's, which test/wechat runs after WeChat's build npm.
 */
const README_SECTIONS: Record<string, keyof typeof KINDS | 'shell' | 'run'> = {
  'mp-socket': 'shell',
  Install: 'shell',
  'uni-app (Vue)': 'uni',
  'uni-app with HBuilderX (uni_modules)': 'uni',
  'Native WeChat': 'run',
  Taro: 'taro',
  'Browsers and Node': 'node',
  'A <script> tag': 'browser',
  'Testing your pages': 'node',
}

/** Names a doc's later blocks use from mp-socket after an earlier block imported them. */
const IMPORTED_EARLIER: Record<string, string[]> = {
  'docs/api.md': ['createSocket'],
  'docs/protocol.md': ['createSocket', 'parseJsonObject', 'Protocol'],
}

/**
 * What a doc's snippets take as given (the reader's own variables and functions), declared before
 * each block of that doc. Anything else a block uses must compile as written.
 */
const ASSUMED: Record<string, string> = {
  'README.md': 'declare function getLogin(): { u: string; token: string } | null',
  'docs/api.md': [
    "declare const options: import('mp-socket').SocketOptions",
    'declare const url: string, token: string',
    'declare const chatId: number',
    'interface Message { text: string }',
  ].join('\n'),
  'docs/protocol.md': [
    'declare const url: string, target: string',
    'declare function updateMarker(point: unknown): void',
  ].join('\n'),
}

interface Block {
  doc: string
  section: string
  language: string
  code: string
  /** The example file of a block marked `<!-- file: path -->`. */
  file?: string
}

function codeBlocks(doc: string): Block[] {
  const text = readFileSync(join(ROOT, doc), 'utf8')
  const blocks: Block[] = []
  let section = ''
  const pattern = /^(#+) (.*)$|(?:<!-- file: (\S+) -->\n)?^```(\w*)\n([\s\S]*?)^```$/gm
  for (const match of text.matchAll(pattern)) {
    if (match[1]) section = match[2]
    else blocks.push({ doc, section, language: match[4], code: match[5], file: match[3] })
  }
  return blocks
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

let packed: Packed

function link(from: string, name: string) {
  const target = join(packed.project, 'node_modules', name)
  if (existsSync(target)) return
  mkdirSync(join(target, '..'), { recursive: true })
  symlinkSync(from, target, 'dir')
}

beforeAll(() => {
  if (!existsSync(join(OWN_MODULES, '@tarojs/taro'))) {
    throw new Error('test/consumers has no node_modules: run `npm ci --prefix test/consumers` (.ci/run does)')
  }
  packed = pack()
  // The consumer project's node_modules: the tarball (already there), the runtimes' typings.
  for (const name of readdirSync(OWN_MODULES)) {
    if (name.startsWith('.') || name === 'typescript') continue
    const scoped = name.startsWith('@') ? readdirSync(join(OWN_MODULES, name)).map((inner) => `${name}/${inner}`) : [name]
    for (const entry of scoped) link(join(OWN_MODULES, entry), entry)
  }
  for (const name of ['ws', '@types/ws', '@types/node', 'undici-types', 'miniprogram-api-typings']) {
    link(join(ROOT, 'node_modules', name), name)
  }
}, 120_000)
afterAll(() => packed?.remove())

function writeProject(kind: string, extraFiles: Record<string, string>, options: Record<string, unknown> = {}, name = kind, withProject = true) {
  const dir = join(packed.project, name)
  mkdirSync(dir, { recursive: true })
  if (withProject) cpSync(join(HERE, 'projects', kind), dir, { recursive: true })
  for (const [name, code] of Object.entries(extraFiles)) writeFileSync(join(dir, name), code)
  const compilerOptions = {
    strict: true,
    noEmit: true,
    target: 'ES2022',
    module: 'ESNext',
    moduleResolution: 'Bundler',
    allowJs: true,
    checkJs: true,
    skipLibCheck: true,
    types: KINDS[kind].types,
    lib: KINDS[kind].lib,
    ...options,
  }
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions, include: ['**/*.ts', '**/*.js'] }))
  return dir
}

function compile(dir: string, tsc = join(ROOT, 'node_modules/typescript/bin/tsc')) {
  const result = spawnSync(process.execPath, [tsc, '-p', join(dir, 'tsconfig.json')], { encoding: 'utf8' })
  return { output: result.stdout + result.stderr, status: result.status }
}

/**
 * A doc states a type as `const name = expression // type: T`: after that line, a check that
 * compiles only when `name` has exactly type `T`. A bare `// string` after an expression states a
 * type nobody checks (api.md's said `error` was `ClosedError | OfflineError`): refused.
 */
const TYPE_CLAIM = /^(\s*)(?:const|let) (\w+)\b.*\/\/ type: (.+)$/
const UNCHECKED_TYPE_CLAIM = /\/\/ (?:[A-Z]\w*|string|number|boolean|unknown|undefined)(?:\[\])?(?: \| (?:[A-Z]\w*|string|number|boolean|undefined)(?:\[\])?)*$/
const EXACT = [
  'type DocTypeIs<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false',
  'declare function docTypeClaim<Holds extends true>(): void',
].join('\n')

function checkTypeClaims(block: Block) {
  const lines = block.code.split('\n')
  for (const line of lines) {
    expect(UNCHECKED_TYPE_CLAIM.test(line) && !TYPE_CLAIM.test(line), `${block.doc}: "${line.trim()}" states a type unchecked: write \`const name = … // type: T\``).toBe(false)
    if (block.language !== 'ts') expect(TYPE_CLAIM.test(line), `${block.doc}: a \`// type:\` claim in a ${block.language} block cannot be checked`).toBe(false)
  }
  if (!lines.some((line) => TYPE_CLAIM.test(line))) return block.code
  const checked = lines.flatMap((line) => {
    const claim = line.match(TYPE_CLAIM)
    return claim ? [line, `${claim[1]}docTypeClaim<DocTypeIs<typeof ${claim[2]}, ${claim[3].trim()}>>()`] : [line]
  })
  return `${EXACT}\n${checked.join('\n')}`
}

/**
 * The README's and docs' `language` blocks for `kind`, each as a module: what the doc assumes,
 * the imports of earlier blocks it relies on, then the block as written (its type claims checked).
 */
function docFiles(kind: string, language: 'ts' | 'js'): Record<string, string> {
  const files: Record<string, string> = {}
  // The guides' JavaScript is the examples' code, run by their tests, or the code they replace.
  const guides = language === 'ts' ? readdirSync(join(ROOT, 'docs/guides')).filter((file) => file.endsWith('.md')).map((file) => `docs/guides/${file}`) : []
  const docs = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((file) => file.endsWith('.md')).map((file) => `docs/${file}`), ...guides]
  docs.flatMap(codeBlocks).forEach((block, index) => {
    if (block.language !== language) return
    // A part of an example file uses the names of the rest of it: it runs with its example, and
    // test/examples/guides.test.ts checks that it is in that file.
    if (block.file && wholeFileCode(block.file) !== block.code) return
    const blockKind = block.doc === 'README.md' ? README_SECTIONS[block.section] : 'node'
    if (blockKind !== kind) return
    const ownNames = new Set([...block.code.matchAll(/\b(?:import|interface|type|const|let|function|class)\s+(?:\{[^}]*\}|\w+)/g)].flatMap((match) => match[0].match(/\w+/g) || []))
    const earlier = (IMPORTED_EARLIER[block.doc] || []).filter((name) => !ownNames.has(name) && new RegExp(`\\b${name}\\b`).test(block.code))
    const imports = earlier.length ? `import { ${earlier.join(', ')} } from 'mp-socket'\n` : ''
    const name = `doc-${index}-${block.doc.replace(/\W/g, '_')}`
    const code = checkTypeClaims(block)
    if (language === 'ts') files[`${name}.ts`] = `${imports}${ASSUMED[block.doc] || ''}\n${code}\nexport {}\n`
    else {
      // A .js file cannot declare types: what the doc assumes goes in a global declaration file.
      files[`${name}.js`] = `${imports}${code}\nexport {}\n`
      if (ASSUMED[block.doc]) files[`assumed-${block.doc.replace(/\W/g, '_')}.d.ts`] = ASSUMED[block.doc]
    }
  })
  return files
}

describe('user code compiles, strict, against the packed package', () => {
  it('has a setting for every README section with code', () => {
    const blocks = codeBlocks('README.md')
    expect(blocks.length, 'README.md has code blocks').toBeGreaterThan(0)
    for (const block of blocks) {
      expect(README_SECTIONS[block.section], `README section "${block.section}" has a ${block.language} block`).toBeDefined()
      if (README_SECTIONS[block.section] === 'shell') expect(block.language, block.section).toBe('sh')
    }
  })

  for (const kind of Object.keys(KINDS)) {
    it(`${kind}: the project and the docs' TypeScript snippets, strict`, () => {
      const dir = writeProject(kind, docFiles(kind, 'ts'))
      const { output, status } = compile(dir)
      expect(output).toBe('')
      expect(status).toBe(0)
    })
  }

  // JavaScript snippets are type-checked too (checkJs) but not strict: in a plain object literal
  // `this` is the framework's component (Vue, uni-app), which no plain .js file can type.
  for (const kind of ['uni', 'taro', 'node']) {
    it(`${kind}: the docs' JavaScript snippets (checkJs)`, () => {
      const files = docFiles(kind, 'js')
      expect(Object.keys(files).length).toBeGreaterThan(0)
      const dir = writeProject(kind, files, { strict: false }, `${kind}-js`, false)
      const { output, status } = compile(dir)
      expect(output).toBe('')
      expect(status).toBe(0)
    })
  }

  it('also with TypeScript 4.5 and moduleResolution "node" (node10), which ignore exports', () => {
    const tsc = join(OWN_MODULES, 'typescript/bin/tsc')
    expect(JSON.parse(readFileSync(join(OWN_MODULES, 'typescript/package.json'), 'utf8')).version).toBe('4.5.5')
    const dir = writeProject('browser', {}, { module: 'CommonJS', moduleResolution: 'node', target: 'ES2020', skipLibCheck: false }, 'browser-ts4.5')
    const { output, status } = compile(dir, tsc)
    expect(output).toBe('')
    expect(status).toBe(0)
  })

  it("README's native WeChat code is examples/wechat-native's, which the build npm test runs", () => {
    const blocks = codeBlocks('README.md').filter((block) => block.section === 'Native WeChat' && block.language === 'js')
    expect(blocks.length).toBeGreaterThanOrEqual(3)
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
    for (const block of blocks) {
      const file = readme.match(new RegExp(`<!-- file: examples/wechat-native/(\\S+\\.js) -->\n\`\`\`js\n${escapeRegExp(block.code)}\`\`\``))?.[1]
      expect(file, `each block is marked with its file: ${block.code.split('\n')[0]}`).toBeTruthy()
      expect(block.code).toBe(readFileSync(join(ROOT, 'examples/wechat-native', file!), 'utf8'))
    }
  })
})
