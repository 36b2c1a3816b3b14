/**
 * One load through core/codeCache in this process, for test/unit/code-cache.test.ts: V8 keeps a
 * compilation cache per process, so a second load in the same process would not consult the file.
 *   node --import tsx test/support/codeCacheLoad.ts <module file> <cache dir>
 * Prints {"cache": …, "answer": …} once the cache is written.
 */
import { loadWithCodeCache } from '../../src/core/codeCache';

const [file, cacheDir] = process.argv.slice(2);
const load = loadWithCodeCache<{ answer: number; where: string }>(file, cacheDir, 0);
// The write's timer does not keep a process alive (an extension host lives on anyway): this does.
const alive = setInterval(() => undefined, 1000);
void load.written.then(() => clearInterval(alive)).then(() => console.log(JSON.stringify({ cache: load.cache, answer: load.exports.answer, where: load.exports.where })));
