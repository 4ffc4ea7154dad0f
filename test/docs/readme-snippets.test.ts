/**
 * Every TypeScript snippet in the READMEs is correct code. Each `##` section's ```ts blocks form one module (a
 * later snippet may use an earlier one's names), type-checked in memory against the packages by name
 * (`@service-registry/client`, `@service-registry/cdk`, …) with the repository's compiler options. A snippet that
 * does not compile fails the build.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';

const root = join(import.meta.dirname, '..', '..');

/** The READMEs users read: the root one and each package's. */
const readmes = [
  'README.md',
  ...readdirSync(join(root, 'packages'))
    .map((p) => join('packages', p, 'README.md'))
    .filter((p) => existsSync(join(root, p))),
];

interface Section {
  readme: string;
  heading: string;
  code: string;
}

/** One module per README section that has ```ts (or ```typescript) blocks. */
function sections(readme: string): Section[] {
  const text = readFileSync(join(root, readme), 'utf8');
  const out: Section[] = [];
  for (const part of text.split(/\n(?=## )/)) {
    const blocks = [...part.matchAll(/```(?:ts|typescript)\n([\s\S]*?)```/g)].map((m) => m[1]!);
    if (blocks.length === 0) continue;
    const heading = /^## (.*)$/m.exec(part)?.[1] ?? '(top)';
    out.push({ readme, heading, code: `${blocks.join('\n')}\nexport {};\n` });
  }
  return out;
}

const all = readmes.flatMap(sections);

it('finds the snippets of every README that has some, and every TypeScript fence in them', () => {
  expect(all.map((s) => s.readme)).toEqual(
    expect.arrayContaining(['README.md', join('packages', 'client', 'README.md'), join('packages', 'cdk', 'README.md')]),
  );
  // A fence the extractor does not match (```ts title=…, CRLF) would otherwise go unchecked.
  for (const readme of readmes) {
    const text = readFileSync(join(root, readme), 'utf8');
    const fences = [...text.matchAll(/^```(ts|typescript|tsx)\b.*$/gm)].length;
    const extracted = [...text.matchAll(/```(?:ts|typescript)\n([\s\S]*?)```/g)].length;
    expect({ readme, extracted }).toEqual({ readme, extracted: fences });
  }
});

it('type-checks every README snippet against the packages', () => {
  // Prepare: virtual files next to the repository's root, so its tsconfig (paths to the packages) applies.
  const files = new Map(all.map((s, i) => [join(root, `readme-snippet-${i}.ts`), s]));
  const config = ts.getParsedCommandLineOfConfigFile(join(root, 'tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined })!;
  const host = ts.createCompilerHost(config.options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, version, ...rest) => {
    const section = files.get(name);
    return section ? ts.createSourceFile(name, section.code, version) : getSourceFile(name, version, ...rest);
  };
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => files.has(name) || fileExists(name);

  // Act
  const program = ts.createProgram([...files.keys()], config.options, host);
  const problems = [...files].flatMap(([name, section]) =>
    ts.getPreEmitDiagnostics(program, program.getSourceFile(name)).map((d) => {
      const line = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line + 1 : 0;
      const text = section.code.split('\n')[line - 1]?.trim() ?? '';
      return `${section.readme} § ${section.heading}, snippet line ${line} (${text}): ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`;
    }),
  );

  // Assess
  expect(problems).toEqual([]);
}, 120_000); // one type-check of the packages: seconds, not milliseconds
