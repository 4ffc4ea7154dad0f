/**
 * The client's README snippets are correct code for a user of the PACKAGE: the `ts` blocks of the root README's
 * "Client SDK" section and of each `##` section of packages/client/README.md are type-checked — one module per
 * section, as test/docs does (a later snippet may use an earlier one's names) — against the built
 * `@service-registry/client`: its `exports` and `.d.ts`, through node_modules, with no `paths` to our sources, under a
 * strict consumer's options (test/docs checks every README against the sources with the repository's options).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';

const root = join(import.meta.dirname, '..', '..', '..');

/** The `ts` code blocks of a markdown text, in order. */
function codeBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

/** The `## ` sections of a README that have `ts` blocks, by heading: their blocks joined as one module. */
function sectionModules(markdown: string): Record<string, string> {
  const modules: Record<string, string> = {};
  for (const part of markdown.split(/\n(?=## )/)) {
    const blocks = codeBlocks(part);
    if (blocks.length > 0) modules[/^## (.*)$/m.exec(part)?.[1] ?? '(top)'] = blocks.join('\n');
  }
  return modules;
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
  host.getSourceFile = (name, version, ...rest) =>
    files.has(name) ? ts.createSourceFile(name, files.get(name)!, version) : getSourceFile(name, version, ...rest);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => files.has(name) || fileExists(name);
  const program = ts.createProgram([...files.keys()], consumerOptions, host);
  const problems: Record<string, string[]> = {};
  for (const [name] of Object.entries(snippets)) {
    const file = program.getSourceFile(join(root, `${name}.mts`));
    problems[name] = ts
      .getPreEmitDiagnostics(program, file)
      .map(
        (d) =>
          `${d.file && d.start !== undefined ? `line ${d.file.getLineAndCharacterOfPosition(d.start).line + 1}: ` : ''}${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`,
      );
  }
  return problems;
}

it('type-checks the client snippets of both READMEs against the built package, as a strict consumer', () => {
  // Prepare: `npm test` packs (and so builds) the packages before Jest starts.
  const built = ['client', 'contracts'].every((p) => existsSync(join(root, 'packages', p, 'dist', 'esm', 'index.d.ts')));
  if (!built) throw new Error('packages/client or packages/contracts is not built: run `npm test`, or `npm run build --workspaces`');
  const rootSections = Object.entries(sectionModules(readFileSync(join(root, 'README.md'), 'utf8'))).filter(([heading]) => heading.startsWith('Client SDK'));
  const packageSections = Object.entries(sectionModules(readFileSync(join(root, 'packages', 'client', 'README.md'), 'utf8')));
  const snippets = Object.fromEntries([
    ...rootSections.map(([, code], i) => [`readme-client-sdk-${i + 1}`, code] as const),
    ...packageSections.map(([heading, code]) => [`packages-client-readme-${heading.toLowerCase().replace(/\W+/g, '-')}`, code] as const),
  ]);

  // Act
  const problems = typeCheck(snippets);

  // Assess: the snippets are there, import the package by name only, and compile.
  expect(rootSections.map(([, code]) => code).join('\n')).toMatch(/registerInstance\([\s\S]*balancer\.pick\(\)/);
  expect(packageSections.map(([heading]) => heading)).toEqual(['A service', 'A gateway']);
  for (const code of Object.values(snippets)) {
    const sources = [...code.matchAll(/from '([^']+)'/g)].map((m) => m[1]);
    expect(sources.every((s) => s === '@service-registry/client')).toBe(true);
  }
  expect(problems).toEqual(Object.fromEntries(Object.keys(snippets).map((name) => [name, []])));
}, 60_000); // a whole type-check, libraries included: seconds, not milliseconds

it('fails a snippet that does not compile (the checker is not vacuous)', () => {
  const problems = typeCheck({
    'broken-snippet': "import { ServiceCache } from '@service-registry/client';\nnew ServiceCache({ client: registry, service: 'orders' });\n",
  });
  expect(problems['broken-snippet']).toEqual(["line 2: Cannot find name 'registry'."]);
}, 60_000);
