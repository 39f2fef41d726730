import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import ts from 'typescript'

/** The `.ts` files under `dir`, recursively. */
export function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return sourceFiles(path)
    return entry.name.endsWith('.ts') ? [path] : []
  })
}

const parse = (file: string) => ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true)

/** Every function, method, accessor and arrow in `files` longer than `limit` lines, as `file:line name (n lines)`. */
export function longFunctions(files: string[], limit: number): string[] {
  const found: string[] = []
  for (const file of files) {
    const source = parse(file)
    const visit = (node: ts.Node) => {
      if (ts.isFunctionLike(node) && 'body' in node && node.body) {
        const first = source.getLineAndCharacterOfPosition(node.getStart(source)).line
        const last = source.getLineAndCharacterOfPosition(node.getEnd()).line
        const lines = last - first + 1
        const name = node.name && ts.isIdentifier(node.name) ? node.name.text : '(anonymous)'
        if (lines > limit) found.push(`${file}:${first + 1} ${name} (${lines} lines)`)
      }
      ts.forEachChild(node, visit)
    }
    visit(source)
  }
  return found
}

/** The relative modules `file` imports or re-exports, type-only ones and `import('…')` types included. */
function importsOf(file: string): string[] {
  const source = parse(file)
  const specifiers: string[] = []
  const visit = (node: ts.Node) => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      specifiers.push(node.moduleSpecifier.text)
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      specifiers.push(node.argument.literal.text)
    }
    ts.forEachChild(node, visit)
  }
  visit(source)
  return specifiers.filter((specifier) => specifier.startsWith('.')).map((specifier) => resolveModule(dirname(file), specifier))
}

function resolveModule(from: string, specifier: string): string {
  const base = resolve(from, specifier)
  for (const candidate of [`${base}.ts`, join(base, 'index.ts')]) {
    try {
      readFileSync(candidate)
      return candidate
    } catch {
      // not this one
    }
  }
  throw new Error(`cannot resolve ${specifier} from ${from}`)
}

/** Each import cycle among `files`, as the list of files around it (the first one repeated at the end). */
export function importCycles(files: string[]): string[][] {
  const graph = new Map(files.map((file) => [resolve(file), importsOf(file)]))
  const cycles: string[][] = []
  const done = new Set<string>()
  const path: string[] = []
  const visit = (file: string) => {
    const at = path.indexOf(file)
    if (at >= 0) return void cycles.push([...path.slice(at), file])
    if (done.has(file)) return
    path.push(file)
    for (const next of graph.get(file) ?? []) visit(next)
    path.pop()
    done.add(file)
  }
  for (const file of graph.keys()) visit(file)
  return cycles
}
