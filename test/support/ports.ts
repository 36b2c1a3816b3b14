/** Local port checks for forward tests. */
import { createServer } from 'node:net';
import { once } from 'node:events';

/** True when nothing listens on 127.0.0.1:port here (binding it works). */
export async function portFree(port: number): Promise<boolean> {
  const s = createServer();
  s.listen(port, '127.0.0.1');
  const ok = await Promise.race([once(s, 'listening').then(() => true), once(s, 'error').then(() => false)]);
  s.close();
  return ok;
}
