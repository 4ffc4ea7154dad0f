/**
 * `npm run build:console`: bundles the console (Preact + our code, minified by esbuild) into `console/dist/`
 * (index.html, app.js, app.css), the files the local runtime serves; and prints their sizes, raw and gzipped
 * (what a browser transfers: the runtime serves them gzipped to clients that accept it).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { buildConsole, CONSOLE_DIR, CONSOLE_FILES } from '../local/console.ts';

const files = await buildConsole();
const dist = join(CONSOLE_DIR, 'dist');
await mkdir(dist, { recursive: true });
let raw = 0;
let gzip = 0;
for (const name of CONSOLE_FILES) {
  await writeFile(join(dist, name), files[name]);
  const zipped = gzipSync(files[name], { level: 9 }).length;
  raw += files[name].length;
  gzip += zipped;
  console.log(`${name.padEnd(10)} ${String(files[name].length).padStart(7)} B  ${String(zipped).padStart(6)} B gzip`);
}
console.log(`${'total'.padEnd(10)} ${String(raw).padStart(7)} B  ${String(gzip).padStart(6)} B gzip  → ${dist}`);
