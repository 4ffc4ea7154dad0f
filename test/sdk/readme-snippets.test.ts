/** The README's "Client SDK" snippets are correct code: type-checked against the SDK as one module. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';

const root = join(import.meta.dirname, '..', '..');

/** The `ts` code blocks of one README section, in order. */
function snippets(heading: string): string[] {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const start = readme.indexOf(`\n${heading}`);
  if (start < 0) throw new Error(`README has no section ${heading}`);
  const next = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, next < 0 ? undefined : next);
  return [...section.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

it('type-checks the Client SDK snippets against the SDK', () => {
  // Prepare: the snippets share names (the gateway snippet uses the first one's `registry`), so they are one module.
  const code = snippets('## Client SDK').join('\n');
  const file = join(root, 'readme-client-sdk.ts');
  const config = ts.getParsedCommandLineOfConfigFile(join(root, 'tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined })!;
  const host = ts.createCompilerHost(config.options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, version, ...rest) => (name === file ? ts.createSourceFile(name, code, version) : getSourceFile(name, version, ...rest));
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => name === file || fileExists(name);

  // Act
  const program = ts.createProgram([file], config.options, host);
  const problems = ts.getPreEmitDiagnostics(program, program.getSourceFile(file)).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));

  // Assess
  expect(code).toContain('registerInstance(');
  expect(problems).toEqual([]);
}, 60_000); // a whole type-check of the SDK: seconds, not milliseconds
