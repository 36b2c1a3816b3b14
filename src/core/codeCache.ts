/**
 * Loads a CommonJS file through a V8 code cache, the way VS Code loads its own code: the first
 * load compiles it and, a little later (once the functions its start-up ran are compiled too),
 * writes V8's cached data; later loads hand that to V8 and skip most compiling.
 *
 * The cache file is keyed by the file's content, Node's version and the architecture. A cache V8
 * rejects (another V8, other flags, a damaged file) is rewritten; any failure to read or write
 * one only costs the compile it would have saved. Writes are atomic; older cache files go.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import Module from 'node:module';
import * as path from 'node:path';
import * as vm from 'node:vm';

/** A cache file larger than this is not read (a bundle of ~1 MB gives a few MB). */
const MAX_CACHE_BYTES = 64 * 1024 * 1024;

export interface CodeCacheLoad<T> {
  exports: T;
  /** What the cache did for this load. */
  cache: 'used' | 'none' | 'rejected';
  /** Settles once the cache is written (at once when it was used). */
  written: Promise<void>;
}

export function loadWithCodeCache<T>(file: string, cacheDir: string, writeAfterMs: number): CodeCacheLoad<T> {
  const source = fs.readFileSync(file, 'utf8');
  const key = createHash('sha256').update(source).update(`\0${process.version}\0${process.arch}`).digest('hex').slice(0, 32);
  const cacheFile = path.join(cacheDir, `${path.basename(file, '.js')}-${key}.bin`);
  const cachedData = readCache(cacheFile);
  // The wrapper Node's CommonJS loader puts around a module.
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, { filename: file, cachedData });
  const mod = { exports: {} as T };
  (script.runInThisContext() as (...a: unknown[]) => void)(mod.exports, Module.createRequire(file), mod, file, path.dirname(file));
  const cache = !cachedData ? 'none' : script.cachedDataRejected ? 'rejected' : 'used';
  const written =
    cache === 'used'
      ? Promise.resolve()
      : new Promise<void>((resolve) => {
          setTimeout(() => {
            writeCache(cacheFile, script);
            resolve();
          }, writeAfterMs).unref();
        });
  return { exports: mod.exports, cache, written };
}

function readCache(file: string): Buffer | undefined {
  try {
    return fs.statSync(file).size <= MAX_CACHE_BYTES ? fs.readFileSync(file) : undefined;
  } catch {
    return undefined;
  }
}

function writeCache(file: string, script: vm.Script): void {
  const dir = path.dirname(file);
  try {
    fs.mkdirSync(dir, { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, script.createCachedData());
    fs.renameSync(tmp, file);
    for (const name of fs.readdirSync(dir)) if (name.endsWith('.bin') && name !== path.basename(file)) fs.rmSync(path.join(dir, name), { force: true });
  } catch {
    // No cache: the next load compiles the file again.
  }
}
