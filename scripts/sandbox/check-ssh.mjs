#!/usr/bin/env node
// Verifies the sandbox sshd servers with the `ssh2` npm package (the same
// client library family the extension uses):
//   1. 2222 publickey + host key pinned to .sandbox/known_hosts, runs squeue
//   2. 2222 password
//   3. 2223 publickey + keyboard-interactive TOTP (code from `oathtool --totp`)
//   4. 2223 with a wrong TOTP code is rejected
//   5. 2223 reached through 2222 as jump host (forwardOut)
// Usage: node scripts/sandbox/check-ssh.mjs   (after scripts/sandbox/start.sh)
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from 'ssh2';

const sandbox = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '.sandbox');
const d = JSON.parse(readFileSync(join(sandbox, 'details.json'), 'utf8'));
const key = readFileSync(d.key);
const totp = () => execFileSync('oathtool', ['--totp', d.totpSecretHex]).toString().trim();
const expectedFp = d.hostKeyFingerprint.replace(/^SHA256:/, '');

function connect(opts, sock) {
  return new Promise((resolve, reject) => {
    const c = new Client();
    const prompts = [];
    c.on('ready', () => resolve({ c, prompts }))
      .on('error', reject)
      .connect({
        ...(sock ? { sock } : { host: d.host }),
        port: opts.port,
        username: d.user,
        readyTimeout: 10000,
        hostVerifier: (raw) =>
          createHash('sha256').update(raw).digest('base64').replace(/=+$/, '') === expectedFp,
        authHandler: opts.auth.map((a) =>
          a === 'publickey'
            ? { type: 'publickey', username: d.user, key }
            : a === 'password'
              ? { type: 'password', username: d.user, password: d.password }
              : {
                  type: 'keyboard-interactive',
                  username: d.user,
                  prompt: (_n, _i, _l, ps, finish) => {
                    prompts.push(...ps.map((p) => p.prompt));
                    finish(ps.map(() => opts.code ?? totp()));
                  },
                },
        ),
      });
  });
}

function exec(c, cmd) {
  return new Promise((resolve, reject) => {
    c.exec(cmd, (err, stream) => {
      if (err) return reject(err);
      let out = '';
      stream.on('data', (b) => (out += b)).stderr.on('data', (b) => (out += b));
      stream.on('close', (code) => resolve({ code, out: out.trim() }));
    });
  });
}

let failed = 0;
async function check(name, fn) {
  const t = Date.now();
  try {
    const info = await fn();
    console.log(`ok   ${name} (${Date.now() - t} ms)${info ? ': ' + info : ''}`);
  } catch (e) {
    failed++;
    console.log(`FAIL ${name}: ${e.message ?? e}`);
  }
}

await check('2222 publickey + squeue', async () => {
  const { c } = await connect({ port: d.port, auth: ['publickey'] });
  const r = await exec(c, 'squeue -h -o %i | wc -l; whoami');
  c.end();
  if (r.code !== 0) throw new Error(r.out);
  return r.out.replace(/\n/g, ' ');
});
await check('2222 password', async () => {
  const { c } = await connect({ port: d.port, auth: ['password'] });
  c.end();
});
await check('2223 publickey + TOTP', async () => {
  const { c, prompts } = await connect({ port: d.port2fa, auth: ['publickey', 'keyboard-interactive'] });
  const r = await exec(c, 'hostname');
  c.end();
  return `prompt ${JSON.stringify(prompts[0])}, hostname ${r.out}`;
});
await check('2223 same TOTP code again (reuse allowed in sandbox)', async () => {
  const { c } = await connect({ port: d.port2fa, auth: ['publickey', 'keyboard-interactive'] });
  c.end();
});
await check('2223 wrong TOTP is rejected', async () => {
  try {
    const { c } = await connect({ port: d.port2fa, auth: ['publickey', 'keyboard-interactive'], code: '000000' });
    c.end();
  } catch (e) {
    return `rejected (${e.message})`;
  }
  throw new Error('login with a wrong code succeeded');
});
await check('2223 publickey only is not enough', async () => {
  try {
    const { c } = await connect({ port: d.port2fa, auth: ['publickey'] });
    c.end();
  } catch (e) {
    return `rejected (${e.message})`;
  }
  throw new Error('login without TOTP succeeded');
});
await check('2223 via jump host 2222', async () => {
  const { c: jump } = await connect({ port: d.port, auth: ['publickey'] });
  const sock = await new Promise((res, rej) =>
    jump.forwardOut('127.0.0.1', 0, '127.0.0.1', d.port2fa, (e, s) => (e ? rej(e) : res(s))),
  );
  const { c } = await connect({ port: d.port2fa, auth: ['publickey', 'keyboard-interactive'] }, sock);
  const r = await exec(c, 'echo via-jump');
  c.end();
  jump.end();
  return r.out;
});

process.exit(failed ? 1 : 0);
