// The package as npm publishes it: its file list, publint --strict, Are the Types Wrong (every
// resolution mode, node10 included), ES2018 syntax in every shipped script, and no shipped doc
// pointing at a file the tarball lacks.
import { parse } from 'acorn'
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join, normalize } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { pack, ROOT, type Packed } from '../support/pack'

const bin = (name: string) => join(ROOT, 'node_modules/.bin', name)
let packed: Packed

beforeAll(() => {
  packed = pack()
})
afterAll(() => packed?.remove())

describe('the npm tarball', () => {
  it('ships the builds, the entry stubs, the docs for users and nothing else', () => {
    // Declaration chunks have content hashes in their names: compare them by pattern.
    const files = packed.files.map((file) => file.replace(/-[\w-]{8}\.d\.(m?)ts$/, '-HASH.d.$1ts'))
    const entries = ['index', 'wx', 'uni', 'web', 'testing'].flatMap((entry) =>
      ['d.mts', 'd.ts', 'js', 'mjs'].map((extension) => `dist/${entry}.${extension}`),
    )
    const expected = [
      'CHANGELOG.md',
      'LICENSE',
      'README.md',
      'docs/api.md',
      'docs/protocol.md',
      ...entries,
      'dist/mp-socket.global.d.ts',
      'dist/mp-socket.global.js',
      'miniprogram_dist/index.js',
      'miniprogram_dist/uni.js',
      'miniprogram_dist/wx.js',
      'package.json',
      ...['global', 'testing', 'uni', 'web', 'wx'].map((stub) => `${stub}/package.json`),
    ]
    const chunks = files.filter((file) => file.includes('-HASH.'))
    expect(files.filter((file) => !file.includes('-HASH.')).sort()).toEqual(expected.sort())
    // Shared declaration chunks, one per format: .d.ts and .d.mts in pairs.
    expect(chunks.filter((file) => file.endsWith('.d.ts')).length).toBe(chunks.filter((file) => file.endsWith('.d.mts')).length)
    expect(chunks.length).toBeLessThanOrEqual(8)
  })

  it('passes publint --strict', () => {
    const result = spawnSync(bin('publint'), ['--strict', '--pack', 'false'], { cwd: packed.dir, encoding: 'utf8' })
    expect(result.stdout + result.stderr).toContain('All good!')
    expect(result.status).toBe(0)
  })

  it('has no problem for Are the Types Wrong, in every resolution mode (node10, node16 CJS/ESM, bundler)', () => {
    const result = spawnSync(bin('attw'), [packed.tarball, '--format', 'json'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
    const report = JSON.parse(result.stdout) as {
      analysis: { problems: unknown[]; entrypoints: Record<string, { resolutions: Record<string, { resolution?: { fileName: string } }> }> }
    }
    expect(report.analysis.problems).toEqual([])
    expect(Object.keys(report.analysis.entrypoints).sort()).toEqual(['.', './global', './package.json', './testing', './uni', './web', './wx'])
    for (const [entry, { resolutions }] of Object.entries(report.analysis.entrypoints)) {
      for (const mode of ['node10', 'node16-cjs', 'node16-esm', 'bundler']) {
        expect(resolutions[mode]?.resolution?.fileName, `${entry} in ${mode}`).toBeTruthy()
      }
    }
    expect(result.status).toBe(0)
  })

  it('parses at ES2018, every script it ships (WeChat parses npm code with acorn at ES2018)', () => {
    const scripts = packed.files.filter((file) => /\.(c|m)?js$/.test(file))
    expect(scripts.length).toBeGreaterThanOrEqual(14)
    for (const file of scripts) {
      const code = readFileSync(join(packed.dir, file), 'utf8')
      const sourceType = file.endsWith('.mjs') ? 'module' : 'script'
      expect(() => parse(code, { ecmaVersion: 2018, sourceType }), file).not.toThrow()
    }
  })

  it('has no doc linking to a file it does not ship', () => {
    const links: Array<{ doc: string; target: string }> = []
    for (const doc of packed.files.filter((file) => file.endsWith('.md'))) {
      const text = readFileSync(join(packed.dir, doc), 'utf8')
      for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (!/^[a-z]+:/i.test(target) && !target.startsWith('#')) links.push({ doc, target })
      }
    }
    // The README links the shipped docs: no link found means the pattern (or the file list) broke.
    expect(links.filter(({ doc }) => doc === 'README.md').length).toBeGreaterThan(0)
    for (const { doc, target } of links) {
      const path = normalize(join(dirname(doc), target.split('#')[0]))
      expect(existsSync(join(packed.dir, path)), `${doc} links to ${target}`).toBe(true)
    }
  })

  it('resolves every entry with Node, from CommonJS and from ES modules, as installed', () => {
    const script = `
      const entries = ['mp-socket', 'mp-socket/wx', 'mp-socket/uni', 'mp-socket/web', 'mp-socket/testing']
      const keys = (module) => Object.keys(module).filter((key) => key !== 'default' && key !== '__esModule').sort()
      Promise.all(entries.map((entry) => import(entry))).then((modules) => {
        console.log(JSON.stringify({ esm: modules.map(keys), cjs: entries.map((entry) => keys(require(entry))) }))
      })`
    const result = spawnSync(process.execPath, ['-e', script], { cwd: packed.project, encoding: 'utf8', env: { ...process.env, NODE_PATH: '' } })
    expect(result.stderr).toBe('')
    const { esm, cjs } = JSON.parse(result.stdout) as { esm: string[][]; cjs: string[][] }
    expect(cjs).toEqual(esm)
    const [all, wx, uni, web, testing] = esm
    expect(all).toEqual(expect.arrayContaining(['createSocket', 'web', 'taro', 'miniProgram', 'uniAdapter', 'ServerError', 'jsonProtocol']))
    const errors = ['AuthError', 'ClosedError', 'FinalError', 'KickedError', 'MpSocketError', 'OfflineError', 'ServerError', 'TimeoutError']
    for (const single of [wx, uni]) expect(single).toEqual([...errors, 'createSocket', 'jsonProtocol'])
    expect(web).toEqual([...errors, 'createSocket', 'jsonProtocol', 'web'])
    expect(testing).toEqual(['createTestRuntime'])
  })
})
