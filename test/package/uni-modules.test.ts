// The uni_modules package for the DCloud plugin market (scripts/uni-modules.mjs).
import { parse } from 'acorn'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { ROOT } from '../support/pack'

const out = mkdtempSync(join(tmpdir(), 'mp-socket-uni-modules-'))
afterAll(() => rmSync(out, { recursive: true, force: true }))

describe('scripts/uni-modules.mjs', () => {
  it("writes uni_modules/<id>/ with the market's package.json and js_sdk/index.js", async () => {
    const { generate, ID } = (await import(pathToFileURL(join(ROOT, 'scripts/uni-modules.mjs')).href)) as {
      generate(out: string): { dir: string; files: string[] }
      ID: string
    }
    const { dir, files } = generate(out)
    expect(files).toEqual(expect.arrayContaining(['package.json', 'README.md', 'changelog.md', 'js_sdk/index.js', 'js_sdk/index.d.ts']))
    expect(files.filter((file) => /pages\.json|App\.vue|manifest\.json/.test(file))).toEqual([])
    const market = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))
    const root = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'))
    expect(market).toMatchObject({ id: ID, version: root.version, dcloudext: { type: 'sdk-js' } })
    expect(market.displayName).toBeTruthy()
    expect(market.description).toBeTruthy()
    expect(market.engines.HBuilderX).toMatch(/^\^\d/)
    expect(market.keywords.length).toBeGreaterThan(0)
    expect(market.keywords.length).toBeLessThanOrEqual(5)
    expect(Object.keys(market.dcloudext.declaration).sort()).toEqual(['ads', 'data', 'permissions'])

    const code = readFileSync(join(dir, 'js_sdk/index.js'), 'utf8')
    expect(() => parse(code, { ecmaVersion: 2015, sourceType: 'module' })).not.toThrow()
    const sdk = await import(pathToFileURL(join(dir, 'js_sdk/index.js')).href)
    expect(Object.keys(sdk).sort()).toEqual(['AuthError', 'ClosedError', 'FinalError', 'KickedError', 'MpSocketError', 'OfflineError', 'ServerError', 'TimeoutError', 'createSocket', 'jsonProtocol'])
    // Every declaration chunk the entry's types import was copied (the build shares the types of
    // the entries through chunks, so none found means the pattern broke).
    const chunks = [...readFileSync(join(dir, 'js_sdk/index.d.ts'), 'utf8').matchAll(/from '\.\/([\w-]+)\.js'/g)].map(([, chunk]) => chunk)
    expect(chunks.length).toBeGreaterThan(0)
    for (const chunk of chunks) expect(files).toContain(`js_sdk/${chunk}.d.ts`)
  })
})
