/**
 * The client's README snippets are correct code for a user of the PACKAGE: each `ts` block of the root README's
 * "Client SDK" section and of packages/client/README.md is type-checked on its own (as the module a user would paste
 * it into) against the built `@service-registry/client` — its `exports` and `.d.ts`, through node_modules, with no
 * `paths` to our sources — under a strict consumer's options.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';

const root = join(import.meta.dirname, '..', '..');

/** The `ts` code blocks of a markdown text, in order. */
function codeBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

/** One `## ` section of a README (to the next `## `). */
function section(markdown: string, heading: string): string {
  const start = markdown.indexOf(`\n${heading}`);
  if (start < 0) throw new Error(`README has no section ${heading}`);
  const next = markdown.indexOf('\n## ', start + 1);
  return markdown.slice(start, next < 0 ? undefined : next);
}

/** What a strict consumer compiles with (as the consumer tests' tsconfig). */
const consumerOptions: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  lib: ['lib.es2023.d.ts'],
  types: ['node'],
  strict: true,
  exactOptionalPropertyTypes: true,
  noUncheckedIndexedAccess: true,
  skipLibCheck: false,
  noEmit: true,
};

/** Type-checks each snippet as its own ES module file at the repository root; returns the problems per snippet. */
function typeCheck(snippets: Record<string, string>): Record<string, string[]> {
  const files = new Map(Object.entries(snippets).map(([name, code]) => [join(root, `${name}.mts`), code]));
  const host = ts.createCompilerHost(consumerOptions);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, version, ...rest) => (files.has(name) ? ts.createSourceFile(name, files.get(name)!, version) : getSourceFile(name, version, ...rest));
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => files.has(name) || fileExists(name);
  const program = ts.createProgram([...files.keys()], consumerOptions, host);
  const problems: Record<string, string[]> = {};
  for (const [name] of Object.entries(snippets)) {
    const file = program.getSourceFile(join(root, `${name}.mts`));
    problems[name] = ts.getPreEmitDiagnostics(program, file).map((d) => `${d.file && d.start !== undefined ? `line ${d.file.getLineAndCharacterOfPosition(d.start).line + 1}: ` : ''}${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
  }
  return problems;
}

it('type-checks the client snippets of both READMEs, each on its own, against the built package', () => {
  // Prepare: `npm test` packs (and so builds) the packages before Jest starts.
  const built = ['client', 'contracts'].every((p) => existsSync(join(root, 'packages', p, 'dist', 'esm', 'index.d.ts')));
  if (!built) throw new Error('packages/client or packages/contracts is not built: run `npm test`, or `npm run build --workspaces`');
  const rootSnippets = codeBlocks(section(readFileSync(join(root, 'README.md'), 'utf8'), '## Client SDK'));
  const packageSnippets = codeBlocks(readFileSync(join(root, 'packages', 'client', 'README.md'), 'utf8'));
  const snippets = Object.fromEntries([
    ...rootSnippets.map((code, i) => [`readme-client-sdk-${i + 1}`, code] as const),
    ...packageSnippets.map((code, i) => [`packages-client-readme-${i + 1}`, code] as const),
  ]);

  // Act
  const problems = typeCheck(snippets);

  // Assess: the snippets are there, import the package by name only, and compile.
  expect(rootSnippets.join('\n')).toContain('registerInstance(');
  expect(packageSnippets.join('\n')).toContain('registerInstance(');
  for (const code of Object.values(snippets)) {
    const sources = [...code.matchAll(/from '([^']+)'/g)].map((m) => m[1]);
    expect(sources.every((s) => s === '@service-registry/client')).toBe(true);
  }
  expect(problems).toEqual(Object.fromEntries(Object.keys(snippets).map((name) => [name, []])));
}, 60_000); // a whole type-check, libraries included: seconds, not milliseconds

it('fails a snippet that does not compile (the checker is not vacuous)', () => {
  const problems = typeCheck({ 'broken-snippet': "import { ServiceCache } from '@service-registry/client';\nnew ServiceCache({ client: registry, service: 'orders' });\n" });
  expect(problems['broken-snippet']).toEqual(["line 2: Cannot find name 'registry'."]);
}, 60_000);
