/**
 * SSH_ASKPASS for the OpenSSH transport: `ssh` runs a tiny helper for every question it would
 * ask on a terminal (passphrase, password, keyboard-interactive prompt, unknown host key); the
 * helper hands the question over a private local socket to this process, which asks the user
 * through the same AuthPrompter as the ssh2 transport and sends the answer back.
 * The way VS Code's git extension does its askpass: secrets go through the socket and the
 * helper's stdout (a pipe into `ssh`) only — never a file, argv or the environment. The socket
 * sits in a 0700 folder and every request carries a random token.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** What the helper's process needs in its environment (paths and a token, no secret). */
export interface AskpassEnv {
  SSH_ASKPASS: string;
  SSH_ASKPASS_REQUIRE: 'force';
  REMOTE_HPC_ASKPASS_NODE: string;
  REMOTE_HPC_ASKPASS_JS: string;
  REMOTE_HPC_ASKPASS_SOCKET: string;
  REMOTE_HPC_ASKPASS_TOKEN: string;
  ELECTRON_RUN_AS_NODE: '1';
  /** Some builds want a display before they use SSH_ASKPASS at all. */
  DISPLAY: string;
}

/** The answer to one question: text, or nothing (cancel: the helper exits 1). */
export type AskpassHandler = (prompt: string) => Promise<string | undefined>;

const HELPER_SH = '#!/bin/sh\nexec "$REMOTE_HPC_ASKPASS_NODE" "$REMOTE_HPC_ASKPASS_JS" "$@"\n';

// Plain Node, no dependencies: runs under VS Code's own runtime (ELECTRON_RUN_AS_NODE).
const HELPER_JS = `'use strict';
const net = require('net');
const s = net.connect(process.env.REMOTE_HPC_ASKPASS_SOCKET);
let buf = '';
s.on('connect', () => s.write(JSON.stringify({ token: process.env.REMOTE_HPC_ASKPASS_TOKEN, prompt: process.argv.slice(2).join(' ') }) + '\\n'));
s.on('data', (d) => (buf += d));
s.on('end', () => {
  try {
    const r = JSON.parse(buf);
    if (typeof r.answer === 'string') { process.stdout.write(r.answer + '\\n'); return; }
  } catch (e) {}
  process.exitCode = 1;
});
s.on('error', () => (process.exitCode = 1));
`;

/** Writes the helper files into `dir` (a private 0700 folder); returns the script's path. */
function writeHelper(dir: string): { sh: string; js: string } {
  const sh = join(dir, 'askpass.sh');
  const js = join(dir, 'askpass.js');
  writeFileSync(js, HELPER_JS, { mode: 0o600 });
  writeFileSync(sh, HELPER_SH, { mode: 0o700 });
  chmodSync(sh, 0o700);
  return { sh, js };
}

export class AskpassServer {
  private constructor(
    private readonly server: Server,
    readonly env: AskpassEnv,
  ) {}

  /** Listens on a fresh socket in `dir` until close(); `handler` answers each question in turn. */
  static async start(dir: string, handler: AskpassHandler, nodePath = process.execPath): Promise<AskpassServer> {
    const { sh, js } = writeHelper(dir);
    const token = randomBytes(24).toString('hex');
    const socketPath = join(dir, `askpass-${randomBytes(6).toString('hex')}.sock`);
    // One question at a time, in order: ssh asks sequentially anyway.
    let queue = Promise.resolve();
    const server = createServer((sock: Socket) => {
      let buf = '';
      sock.setEncoding('utf8');
      sock.on('error', () => undefined);
      sock.on('data', (d: string) => {
        buf += d;
        if (buf.length > 65_536) return sock.destroy();
        const nl = buf.indexOf('\n');
        if (nl < 0) return;
        let req: { token?: unknown; prompt?: unknown };
        try {
          req = JSON.parse(buf.slice(0, nl)) as typeof req;
        } catch {
          return sock.destroy();
        }
        if (req.token !== token || typeof req.prompt !== 'string') return sock.destroy();
        const prompt = req.prompt;
        queue = queue.then(async () => {
          const answer = await handler(prompt).catch(() => undefined);
          sock.end(JSON.stringify(answer === undefined ? { cancel: true } : { answer }));
        });
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(socketPath, () => resolve());
    });
    chmodSync(socketPath, 0o600);
    return new AskpassServer(server, {
      SSH_ASKPASS: sh,
      SSH_ASKPASS_REQUIRE: 'force',
      REMOTE_HPC_ASKPASS_NODE: nodePath,
      REMOTE_HPC_ASKPASS_JS: js,
      REMOTE_HPC_ASKPASS_SOCKET: socketPath,
      REMOTE_HPC_ASKPASS_TOKEN: token,
      ELECTRON_RUN_AS_NODE: '1',
      DISPLAY: process.env.DISPLAY ?? 'remote-hpc:0',
    });
  }

  close(): void {
    this.server.close();
  }
}
