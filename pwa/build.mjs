// Builds the PWA from pwa/src and pwa/public into pwa/dist (not committed): one hashed ES
// module bundle (Preact + htm, PouchDB's browser build with its IndexedDB adapter), its CSS,
// the criteria data, and a Workbox service worker whose precache lists every file.
// Usage: node pwa/build.mjs  (run by `make setup`).
import { build } from 'esbuild';
import { createRequire } from 'node:module';
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// workbox-build's index loads rollup (for generateSW), whose native binary is an optional
// dependency that `npm ci --omit=optional` leaves out: take injectManifest on its own.
const { injectManifest } = createRequire(import.meta.url)('workbox-build/build/inject-manifest.js');
const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, 'dist');
const common = { bundle: true, minify: true, target: 'es2020', legalComments: 'none', logLevel: 'warning' };

await rm(dist, { recursive: true, force: true });
await mkdir(join(dist, 'assets'), { recursive: true });
const app = await build({
  ...common, entryPoints: [join(here, 'src', 'main.js')], outdir: join(dist, 'assets'),
  entryNames: 'app-[hash]', format: 'esm', metafile: true, define: { global: 'globalThis' },
});
const outputs = Object.keys(app.metafile.outputs).map((p) => p.slice(p.indexOf('assets/')));
const js = outputs.find((p) => p.endsWith('.js')), css = outputs.find((p) => p.endsWith('.css'));
const html = (await readFile(join(here, 'public', 'index.html'), 'utf8'))
  .replace('%APP_JS%', '/' + js).replace('%APP_CSS%', '/' + css);
await cp(join(here, 'public'), dist, { recursive: true });
await writeFile(join(dist, 'index.html'), html);
await cp(join(here, 'criteria'), join(dist, 'criteria'), { recursive: true });
await build({ ...common, entryPoints: [join(here, 'src', 'sw.js')], outfile: join(here, '.sw.tmp.js'), format: 'iife' });
const { count, size, warnings } = await injectManifest({
  swSrc: join(here, '.sw.tmp.js'), swDest: join(dist, 'sw.js'), globDirectory: dist,
  globPatterns: ['**/*.{html,js,css,json,png,webmanifest}'], globIgnores: ['sw.js'],
  maximumFileSizeToCacheInBytes: 4 * 1024 * 1024,
});
await rm(join(here, '.sw.tmp.js'));
for (const w of warnings) console.warn(w);
console.log(`pwa/dist: ${js}, ${css}; service worker precaches ${count} files (${Math.round(size / 1024)} KB)`);
