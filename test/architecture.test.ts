// The shape issue 16 asks to keep: no function a reader cannot hold in their head (over 120 lines)
// and no import cycle (type imports included), in src/ and examples/server/src. Read with the
// TypeScript compiler's parser, so every kind of function and of import counts.
import { readdirSync, readFileSync } from 'node:fs'
import { join, posix } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const SOURCES = ['src', 'examples/server/src']
const MAX_FUNCTION_LINES = 120

/** Source files by their path from the repository's root, with `/` as separator. */
type Files = Map<string, string>

function readSources(): Files {
  const files: Files = new Map()
  for (const dir of SOURCES) {
    for (const entry of readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })) {
      if (!entry.endsWith('.ts')) continue
      const path = join(dir, entry).split('\\').join('/')
      files.set(path, readFileSync(join(ROOT, path), 'utf8'))
    }
  }
  return files
}

const parse = (path: string, text: string) => ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true)

const isFunction = (node: ts.Node): node is ts.FunctionLikeDeclaration =>
  ts.isFunctionDeclaration(node) ||
  ts.isFunctionExpression(node) ||
  ts.isArrowFunction(node) ||
  ts.isMethodDeclaration(node) ||
  ts.isConstructorDeclaration(node) ||
  ts.isGetAccessorDeclaration(node) ||
  ts.isSetAccessorDeclaration(node)

/** What a reader calls a function: its own name, or the variable, property or method it is assigned to. */
function nameOf(node: ts.FunctionLikeDeclaration): string {
  if (node.name && !ts.isComputedPropertyName(node.name)) return node.name.getText()
  if (ts.isConstructorDeclaration(node)) return 'constructor'
  const parent = node.parent
  if ((ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent)) && parent.name) return parent.name.getText()
  return '(anonymous)'
}

/** Every function with a body longer than `MAX_FUNCTION_LINES`: `path:line name (N lines)`. */
function longFunctions(files: Files): string[] {
  const found: string[] = []
  for (const [path, text] of files) {
    const source = parse(path, text)
    const visit = (node: ts.Node) => {
      if (isFunction(node) && node.body) {
        const first = source.getLineAndCharacterOfPosition(node.getStart(source)).line
        const last = source.getLineAndCharacterOfPosition(node.getEnd()).line
        const lines = last - first + 1
        if (lines > MAX_FUNCTION_LINES) found.push(`${path}:${first + 1} ${nameOf(node)} (${lines} lines)`)
      }
      ts.forEachChild(node, visit)
    }
    visit(source)
  }
  return found
}

/** The relative module specifiers of a file: imports, re-exports, `import type`, `import('…')` types and calls. */
function specifiers(source: ts.SourceFile): string[] {
  const found: string[] = []
  const visit = (node: ts.Node) => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      found.push(node.moduleSpecifier.text)
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      found.push(node.argument.literal.text)
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments[0] && ts.isStringLiteral(node.arguments[0])) {
      found.push(node.arguments[0].text)
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference) && ts.isStringLiteral(node.moduleReference.expression)) {
      found.push(node.moduleReference.expression.text)
    }
    ts.forEachChild(node, visit)
  }
  visit(source)
  return found.filter((specifier) => specifier.startsWith('.'))
}

/** Which source files each source file imports (packages and files outside the sources left out). */
function importGraph(files: Files): Map<string, string[]> {
  const graph = new Map<string, string[]>()
  for (const [path, text] of files) {
    const targets = new Set<string>()
    for (const specifier of specifiers(parse(path, text))) {
      const base = posix.join(posix.dirname(path), specifier)
      const candidates = [base, base.replace(/\.m?js$/, '.ts'), `${base}.ts`, `${base}.d.ts`, `${base}/index.ts`]
      const target = candidates.find((candidate) => files.has(candidate))
      if (target) targets.add(target)
    }
    graph.set(path, [...targets].sort())
  }
  return graph
}

/** Every import cycle, one per strongly connected group of files (Tarjan), as `a -> b -> a`. */
function importCycles(graph: Map<string, string[]>): string[] {
  const marks = new Map<string, { index: number; lowest: number }>()
  const stack: string[] = []
  const onStack = new Set<string>()
  const groups: string[][] = []
  const connect = (file: string) => {
    const mark = { index: marks.size, lowest: marks.size }
    marks.set(file, mark)
    stack.push(file)
    onStack.add(file)
    for (const next of graph.get(file) || []) {
      const seen = marks.get(next)
      if (!seen) mark.lowest = Math.min(mark.lowest, connect(next).lowest)
      else if (onStack.has(next)) mark.lowest = Math.min(mark.lowest, seen.index)
    }
    if (mark.lowest === mark.index) {
      const group = stack.splice(stack.indexOf(file))
      for (const member of group) onStack.delete(member)
      if (group.length > 1 || (graph.get(file) || []).includes(file)) groups.push(group)
    }
    return mark
  }
  for (const file of [...graph.keys()].sort()) if (!marks.has(file)) connect(file)
  return groups.map((group) => cyclePath(graph, new Set(group)).join(' -> ')).sort()
}

/** One cycle through a strongly connected group: from its first file (by name) back to it. */
function cyclePath(graph: Map<string, string[]>, group: Set<string>): string[] {
  const start = [...group].sort()[0]
  const seen = new Set<string>()
  const walk = (file: string, path: string[]): string[] => {
    for (const next of graph.get(file) || []) {
      if (next === start) return [...path, start]
      if (group.has(next) && !seen.has(next)) {
        seen.add(next)
        const found = walk(next, [...path, next])
        if (found.length) return found
      }
    }
    return []
  }
  return walk(start, [start])
}

describe('architecture of src/ and examples/server/src', () => {
  const files = readSources()

  it(`has no function over ${MAX_FUNCTION_LINES} lines`, () => {
    expect(longFunctions(files), 'functions to split').toEqual([])
  })

  it('has no import cycle, type imports included', () => {
    expect(importCycles(importGraph(files)), 'import cycles').toEqual([])
  })
})

describe('the checks above', () => {
  it('read the real sources: the client imports its connection, the server its engines', () => {
    const graph = importGraph(readSources())
    expect(graph.get('src/client.ts')).toContain('src/connection.ts')
    expect(graph.get('examples/server/src/server.ts')?.length).toBeGreaterThan(0)
  })

  it('find every kind of long function and every kind of import in a cycle', () => {
    const body = (lines: number) => Array.from({ length: lines - 2 }, (_, i) => `  call(${i})`).join('\n')
    const files: Files = new Map([
      ['src/a.ts', `import type { B } from './b'\nexport function declared() {\n${body(121)}\n}\nexport function short() {\n${body(120)}\n}\n`],
      ['src/b.ts', `export { c } from './c.js'\nexport type B = 1\nexport const arrow = () => {\n${body(121)}\n}\n`],
      ['src/c.ts', `export type C = import('./dir').D\nexport const c = { method() {\n${body(122)}\n} }\n`],
      ['src/dir/index.ts', `import { declared } from '../a'\nexport type D = typeof declared\nconst expression = function () {\n${body(121)}\n}\n`],
      ['src/alone.ts', `import ws from 'ws'\nimport './alone'\nexport class K { constructor() {\n${body(121)}\n} }\n`],
    ])
    expect(longFunctions(files)).toEqual([
      'src/a.ts:2 declared (121 lines)',
      'src/b.ts:3 arrow (121 lines)',
      'src/c.ts:2 method (122 lines)',
      'src/dir/index.ts:3 expression (121 lines)',
      'src/alone.ts:3 constructor (121 lines)',
    ])
    expect(importCycles(importGraph(files))).toEqual(['src/a.ts -> src/b.ts -> src/c.ts -> src/dir/index.ts -> src/a.ts', 'src/alone.ts -> src/alone.ts'])
  })
})
