// Builds the admin page (processor/admin-ui) into dist/admin-ui with esbuild: one minified ES module bundle of its
// TypeScript (uPlot included), one CSS bundle (uPlot's stylesheet included), and index.html pointing at both. The
// bundles' names carry a hash of their content, so the processor can let browsers cache them for good while
// index.html, which names them, is revalidated on every load: a new build can never be served with an old bundle.
// Run by `npm run build` (the container image), `npm test` and `npm start`; `node scripts/build-admin.ts` alone.
//
// Builds may run at the same time (several `npm test` at once): every file is written under a temporary name and
// renamed into place, index.html last, and unchanged sources give the same names, so a processor starting meanwhile
// reads either the old page or the new one, whole.
import { readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { basename, join, relative, resolve } from 'node:path';
import { build } from 'esbuild';

const ROOT = resolve(import.meta.dirname, '..');
export const ADMIN_UI_SOURCE = join(ROOT, 'processor/admin-ui');
/** Where the processor reads the page from (processor/src/admin/assets.ts finds it from the package root). */
export const ADMIN_UI_OUT = join(ROOT, 'dist/admin-ui');
/** index.html's references to the sources, replaced by the bundles built from them. */
const ENTRIES = { 'src/main.ts': 'js', 'styles.css': 'css' } as const;

export interface AdminUiBuild {
  outdir: string;
  files: Array<{ name: string; bytes: number }>;
  milliseconds: number;
}

function writeAtomically(path: string, content: Uint8Array | string): void {
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, content);
  renameSync(temporary, path);
}

/** index.html with each `src`/`href` naming an entry replaced by its bundle; any other local reference is an error. */
export function linkIndex(html: string, bundles: Record<string, string>): string {
  return html.replace(/\b(src|href)="([^"]*)"/g, (whole, attribute: string, value: string) => {
    if (value.startsWith('data:')) return whole;
    const bundle = bundles[value];
    if (bundle === undefined)
      throw new Error(`processor/admin-ui/index.html: ${attribute}="${value}" is not one of ${Object.keys(bundles).join(', ')}`);
    return `${attribute}="${bundle}"`;
  });
}

export async function buildAdminUi(outdir = ADMIN_UI_OUT): Promise<AdminUiBuild> {
  const started = performance.now();
  await mkdir(outdir, { recursive: true });
  const result = await build({
    absWorkingDir: ADMIN_UI_SOURCE,
    entryPoints: Object.keys(ENTRIES),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2022'],
    minify: true,
    entryNames: '[name]-[hash]',
    outdir,
    write: false,
    metafile: true,
    // Scripts and stylesheets only: a url() to an image or font fails the build (no loader) rather than emit a file
    // beside them that processor/src/admin/assets.ts would not serve. uPlot's stylesheet has none.
    loader: { '.css': 'css' },
    logLevel: 'warning',
  });
  const bundles: Record<string, string> = {};
  const files: AdminUiBuild['files'] = [];
  for (const file of result.outputFiles) {
    writeAtomically(file.path, file.contents);
    files.push({ name: basename(file.path), bytes: file.contents.byteLength });
  }
  for (const [output, meta] of Object.entries(result.metafile.outputs)) {
    if (meta.entryPoint) bundles[meta.entryPoint] = basename(output);
  }
  for (const entry of Object.keys(ENTRIES)) {
    if (!bundles[entry]) throw new Error(`esbuild produced no bundle for ${entry}`);
  }
  const index = linkIndex(readFileSync(join(ADMIN_UI_SOURCE, 'index.html'), 'utf8'), bundles);
  writeAtomically(join(outdir, 'index.html'), index);
  files.push({ name: 'index.html', bytes: Buffer.byteLength(index) });
  // Bundles of earlier builds: unreferenced now, so never served; removed so the folder does not grow.
  const current = new Set(files.map((f) => f.name));
  for (const name of readdirSync(outdir)) {
    if (!current.has(name) && !name.endsWith('.tmp')) rmSync(join(outdir, name), { force: true });
  }
  return { outdir, files, milliseconds: performance.now() - started };
}

if (import.meta.main) {
  const { outdir, files, milliseconds } = await buildAdminUi();
  const total = files.reduce((sum, f) => sum + f.bytes, 0);
  const list = files.map((f) => `${f.name} ${(f.bytes / 1024).toFixed(1)} KiB`).join(', ');
  console.log(
    `admin page built in ${milliseconds.toFixed(0)} ms: ${relative(process.cwd(), outdir) || '.'}/ ${list} (${(total / 1024).toFixed(1)} KiB)`,
  );
}
