// Module hooks for the `parley` command (registered by bin/parley.js): the TypeScript
// sources are compiled one file at a time by esbuild, as they are imported, so a checkout
// runs right after `npm install` with no build step.
//
// Why not tsx's loader, which this replaces: tsx compiles with esbuild's `keepNames`, which
// wraps every named function or arrow created inside a function in a `__name(fn, "name")`
// call that redefines its `name` property. On the ingest path those calls were ~3 % of the
// pipeline's thread (src/core/sla.ts alone 1.8 %), and the redefined closures are slower
// to call. Plain transforms keep the names anyway: no identifier is renamed.
//
// Compiled files are cached under the system's temporary directory, keyed by the source,
// esbuild's version and the options.
//
// Source maps are files beside the compiled code. An inline map made every module's source
// string, which V8 keeps for the process's life, about three times the size of its code (the
// map, base64, holds the TypeScript source too), on top of the map Node parses and keeps: 16 MB
// more live heap in an idle server. The map keeps the TypeScript source (sourcesContent):
// without it, Node reads the .ts file from disk each time it formats a stack trace that
// starts in it.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { transform, version } from 'esbuild';

const OPTIONS = { loader: 'ts', format: 'esm', target: 'node20', sourcemap: 'external' };
const CACHE = join(tmpdir(), `parley-ts-${process.getuid?.() ?? 'user'}`);
const SALT = `${version}|${JSON.stringify(OPTIONS)}|`;

/** `./x.js` imported from a TypeScript file is `./x.ts` when only that exists (NodeNext import paths). */
export async function resolve(specifier, context, nextResolve) {
  const parent = context.parentURL;
  if (parent?.startsWith('file:') && parent.endsWith('.ts') && specifier.endsWith('.js') && (specifier.startsWith('./') || specifier.startsWith('../'))) {
    const asJs = new URL(specifier, parent);
    if (!existsSync(asJs)) {
      const asTs = new URL(specifier.slice(0, -3) + '.ts', parent);
      if (existsSync(asTs)) return { url: asTs.href, format: 'module', shortCircuit: true };
    }
  }
  return nextResolve(specifier, context);
}

export async function load(url, context, nextLoad) {
  if (!url.startsWith('file:') || !url.endsWith('.ts')) return nextLoad(url, context);
  const file = fileURLToPath(url);
  const source = readFileSync(file, 'utf8');
  return { format: 'module', source: await compile(source, file), shortCircuit: true };
}

async function compile(source, file) {
  const key = createHash('sha1').update(SALT).update(file).update('\0').update(source).digest('hex');
  const cached = join(CACHE, `${key}.mjs`);
  try {
    return readFileSync(cached, 'utf8');
  } catch {
    // not compiled yet
  }
  const { code: body, map } = await transform(source, { ...OPTIONS, sourcefile: file });
  const mapFile = `${cached}.map`;
  // a path, not a file: URL: Node reads a map from a file only when the comment has no scheme
  const code = `${body}//# sourceMappingURL=${pathToFileURL(mapFile).pathname}\n`;
  try {
    mkdirSync(CACHE, { recursive: true });
    // the map first: a cached module never points at a map that is not there
    for (const [path, text] of [[mapFile, map], [cached, code]]) {
      const tmp = `${path}.${process.pid}.tmp`;
      writeFileSync(tmp, text);
      renameSync(tmp, path);
    }
  } catch {
    // a read-only or full disk only costs the next start a compile
  }
  return code;
}
