import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SshConfig, HostDirectory, parseJumpSpec, splitConfigLine, hostPatternsMatch } from '../../src/core/ssh/sshConfig';
import { SshError } from '../../src/core/ssh/errors';

function fakeHome(files: Record<string, string>): string {
  const home = mkdtempSync(join(tmpdir(), 'rhpc-sshcfg-'));
  for (const [rel, text] of Object.entries(files)) {
    const p = join(home, rel);
    mkdirSync(join(p, '..'), { recursive: true });
    writeFileSync(p, text);
  }
  return home;
}

const opts = (home: string) => ({ home, localUser: 'me', localHost: 'laptop.example.org', env: { KEYS: '/keys' }, systemConfigFile: null });

test('first obtained value wins; Host * supplies defaults; IdentityFile accumulates', async (t) => {
  const home = fakeHome({
    '.ssh/config': `
# comment
Host cluster
  HostName login.cluster.org
  User alice
  IdentityFile ~/.ssh/id_cluster

Host cluster other
  User bob
  Port 2200
  IdentityFile ~/.ssh/id_second

Host *
  User nobody
  ServerAliveInterval 30
  ConnectTimeout 7
`,
  });
  t.after(() => rmSync(home, { recursive: true, force: true }));
  const cfg = await SshConfig.load(undefined, opts(home));
  const c = cfg.resolve('cluster');
  assert.equal(c.hostName, 'login.cluster.org');
  assert.equal(c.user, 'alice');
  assert.equal(c.port, 2200);
  assert.deepEqual(c.identityFiles, [join(home, '.ssh/id_cluster'), join(home, '.ssh/id_second')]);
  assert.equal(c.serverAliveIntervalMs, 30_000);
  assert.equal(c.connectTimeoutMs, 7_000);
  assert.deepEqual(c.proxyJump, []);
  assert.deepEqual(c.knownHostsFiles, [join(home, '.ssh/known_hosts'), join(home, '.ssh/known_hosts2')]);
  const o = cfg.resolve('other');
  assert.equal(o.user, 'bob');
  assert.equal(o.hostName, 'other');
  const unknown = cfg.resolve('elsewhere');
  assert.equal(unknown.user, 'nobody');
  assert.equal(unknown.port, 22);
  // No IdentityFile configured: OpenSSH's default identities.
  assert.ok(unknown.identityFiles.includes(join(home, '.ssh/id_ed25519')));
  assert.deepEqual(cfg.aliases(), ['cluster', 'other']);
  assert.deepEqual(cfg.files, [join(home, '.ssh/config')]);
});

test('wildcards, ? and negation in Host patterns', async (t) => {
  const home = fakeHome({
    '.ssh/config': `
Host *.hpc !bad.hpc
  User hpcuser
Host node?? 
  Port 2022
Host BIG
  Port 99
`,
  });
  t.after(() => rmSync(home, { recursive: true, force: true }));
  const cfg = await SshConfig.load(undefined, opts(home));
  assert.equal(cfg.resolve('a.hpc').user, 'hpcuser');
  assert.equal(cfg.resolve('bad.hpc').user, 'me');
  assert.equal(cfg.resolve('node01').port, 2022);
  assert.equal(cfg.resolve('node001').port, 22);
  assert.equal(cfg.resolve('big').port, 99, 'host names match case-insensitively');
  assert.deepEqual(cfg.aliases(), ['BIG']);
  assert.equal(hostPatternsMatch('x', ['!x']), false, 'a lone negation matches nothing');
});

test('Include: globs relative to ~/.ssh, inside Host blocks, and first match across files', async (t) => {
  const home = fakeHome({
    '.ssh/config': `
Include conf.d/*.conf
Host shared
  Include extra/shared-opts
Host *
  User fallback
`,
    '.ssh/conf.d/10-a.conf': `
Host alpha
  HostName alpha.example.org
  User first
`,
    '.ssh/conf.d/20-b.conf': `
Host alpha beta
  User second
  Port 2201
`,
    '.ssh/conf.d/ignored.txt': `Host gamma\n  User nope\n`,
    '.ssh/extra/shared-opts': `
User sharer
Host nested-never-applies-to-others
  Port 1
`,
  });
  t.after(() => rmSync(home, { recursive: true, force: true }));
  const cfg = await SshConfig.load(undefined, opts(home));
  const a = cfg.resolve('alpha');
  assert.equal(a.hostName, 'alpha.example.org');
  assert.equal(a.user, 'first');
  assert.equal(a.port, 2201);
  assert.equal(cfg.resolve('beta').user, 'second');
  assert.equal(cfg.resolve('gamma').user, 'fallback');
  // An Include inside `Host shared` applies only to `shared`; its own Host lines never match otherwise.
  assert.equal(cfg.resolve('shared').user, 'sharer');
  assert.equal(cfg.resolve('shared').port, 22);
  assert.equal(cfg.resolve('nested-never-applies-to-others').port, 22);
  assert.deepEqual(cfg.aliases(), ['alpha', 'beta', 'shared', 'nested-never-applies-to-others']);
  assert.equal(cfg.files.length, 4);
});

test('Match blocks are skipped (never executed), Match all applies', async (t) => {
  const home = fakeHome({
    '.ssh/config': `
Match exec "touch ${'/tmp/rhpc-should-not-exist'}"
  User matched
Match host foo
  Port 1234
Host foo
  User plain
Match all
  ServerAliveInterval 5
`,
  });
  t.after(() => rmSync(home, { recursive: true, force: true }));
  const c = (await SshConfig.load(undefined, opts(home))).resolve('foo');
  assert.equal(c.user, 'plain');
  assert.equal(c.port, 22);
  assert.equal(c.serverAliveIntervalMs, 5000);
});

test('ProxyJump: multi-hop lists, user@host:port forms, none, and ProxyCommand exclusivity', async (t) => {
  const home = fakeHome({
    '.ssh/config': `
Host inner
  ProxyJump jumper@gw1.example.org:2222,gw2
Host direct
  ProxyJump none
Host *.internal
  ProxyJump bastion
Host legacy
  ProxyCommand ssh -W %h:%p gw
`,
  });
  t.after(() => rmSync(home, { recursive: true, force: true }));
  const cfg = await SshConfig.load(undefined, opts(home));
  assert.deepEqual(cfg.resolve('inner').proxyJump, ['jumper@gw1.example.org:2222', 'gw2']);
  assert.deepEqual(cfg.resolve('direct.internal').proxyJump, ['bastion']);
  const d = await SshConfig.parse('Host direct.internal\n  ProxyJump none\nHost *.internal\n  ProxyJump bastion\n', opts(home));
  assert.deepEqual(d.resolve('direct.internal').proxyJump, [], 'ProxyJump none obtained first disables later ones');
  const legacy = cfg.resolve('legacy');
  assert.deepEqual(legacy.proxyJump, []);
  assert.equal(legacy.proxyCommand, 'ssh -W %h:%p gw');

  assert.deepEqual(parseJumpSpec('u@h:2200'), { user: 'u', host: 'h', port: 2200 });
  assert.deepEqual(parseJumpSpec('ssh://u@h:2200'), { user: 'u', host: 'h', port: 2200 });
  assert.deepEqual(parseJumpSpec('[::1]:2222'), { host: '::1', port: 2222 });
  assert.deepEqual(parseJumpSpec('gw'), { host: 'gw' });
  assert.deepEqual(parseJumpSpec('a@b@gw'), { user: 'a@b', host: 'gw' });
  assert.throws(() => parseJumpSpec('h:99999'), SshError);
});

test('tokens and ~ in IdentityFile/UserKnownHostsFile; HostName %h; env ${VAR}', async (t) => {
  const home = fakeHome({
    '.ssh/config': `
Host h1
  HostName %h.cluster.org
  User u1
  Port 2200
  IdentityFile ~/.ssh/%r@%h-%p
  IdentityFile \${KEYS}/%n_%u "%d/with space/%l"
  UserKnownHostsFile ~/kh/%h /abs/kh2
  StrictHostKeyChecking accept-new
  IdentitiesOnly yes
  HashKnownHosts yes
  IdentityAgent none
  PreferredAuthentications password,publickey
  HostKeyAlias h1-key
Host bad
  IdentityFile %Z
`,
  });
  t.after(() => rmSync(home, { recursive: true, force: true }));
  const cfg = await SshConfig.load(undefined, opts(home));
  const c = cfg.resolve('h1');
  assert.equal(c.hostName, 'h1.cluster.org');
  assert.deepEqual(c.identityFiles, [join(home, '.ssh/u1@h1.cluster.org-2200'), '/keys/h1_me', `${home}/with space/laptop.example.org`]);
  assert.deepEqual(c.knownHostsFiles, [join(home, 'kh/h1.cluster.org'), '/abs/kh2']);
  assert.equal(c.strictHostKeyChecking, 'accept-new');
  assert.equal(c.identitiesOnly, true);
  assert.equal(c.hashKnownHosts, true);
  assert.equal(c.identityAgent, 'none');
  assert.deepEqual(c.preferredAuthentications, ['password', 'publickey']);
  assert.equal(c.hostKeyAlias, 'h1-key');
  assert.throws(() => cfg.resolve('bad'), (e: unknown) => e instanceof SshError && e.kind === 'config');
});

test('invalid values are config errors naming the host', async () => {
  const cfg = await SshConfig.parse('Host x\n  Port abc\nHost y\n  StrictHostKeyChecking maybe\n', opts('/nonexistent'));
  assert.throws(() => cfg.resolve('x'), (e: unknown) => e instanceof SshError && e.kind === 'config' && /Port/.test(e.message));
  assert.throws(() => cfg.resolve('y'), (e: unknown) => e instanceof SshError && e.kind === 'config');
  await assert.rejects(SshConfig.parse('Host "unterminated\n', opts('/nonexistent')), SshError);
});

test('missing config file is an empty config', async () => {
  const cfg = await SshConfig.load('/nonexistent/config', opts('/nonexistent'));
  assert.deepEqual(cfg.aliases(), []);
  assert.equal(cfg.resolve('h').hostName, 'h');
});

test('line splitting: key=value, quotes, comments', () => {
  assert.deepEqual(splitConfigLine('Port=2222'), { key: 'port', args: ['2222'] });
  assert.deepEqual(splitConfigLine('Host  a "b c" # trailing'), { key: 'host', args: ['a', 'b c'] });
  assert.deepEqual(splitConfigLine('IdentityFile "/x y/k"'), { key: 'identityfile', args: ['/x y/k'] });
  assert.deepEqual(splitConfigLine('User = alice'), { key: 'user', args: ['alice'] });
});

test('HostDirectory merges settings hosts: settings win, config fills the rest', async (t) => {
  const home = fakeHome({
    '.ssh/config': `
Host gw
  HostName gw.example.org
  User gwuser
  Port 2022
Host cluster
  User fromconfig
Host *
  ServerAliveInterval 15
  IdentityFile ~/.ssh/id_default
`,
  });
  t.after(() => rmSync(home, { recursive: true, force: true }));
  const cfg = await SshConfig.load(undefined, opts(home));
  const dir = new HostDirectory(cfg, [
    { name: 'cluster', hostName: 'login.cluster.org', port: 2200, proxyJump: 'gw' },
    { name: 'lab', hostName: '10.0.0.5', user: 'labuser', identityFile: '~/.ssh/lab' },
  ]);
  assert.deepEqual(dir.list(), [
    { alias: 'cluster', source: 'settings' },
    { alias: 'lab', source: 'settings' },
    { alias: 'gw', source: 'ssh-config' },
  ]);
  const c = dir.resolve('cluster');
  assert.equal(c.hostName, 'login.cluster.org');
  assert.equal(c.port, 2200);
  assert.equal(c.user, 'fromconfig');
  assert.deepEqual(c.proxyJump, ['gw']);
  assert.equal(c.serverAliveIntervalMs, 15_000);
  const lab = dir.resolve('lab');
  assert.deepEqual(lab.identityFiles, [join(home, '.ssh/lab'), join(home, '.ssh/id_default')]);
  assert.equal(lab.user, 'labuser');
  const hop = dir.resolveJump('other@gw:2300');
  assert.equal(hop.hostName, 'gw.example.org');
  assert.equal(hop.user, 'other');
  assert.equal(hop.port, 2300);
  const hop2 = dir.resolveJump('gw');
  assert.equal(hop2.user, 'gwuser');
  assert.equal(hop2.port, 2022);
  assert.deepEqual(hop2.proxyJump, []);
});

test('resolution agrees with `ssh -G` (OpenSSH itself) on the options we use', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'rhpc-sshg-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'inc-a.conf'), 'Host alpha\n  HostName alpha.example.org\n  Port 2201\nHost *.hpc\n  ServerAliveInterval 11\n');
  writeFileSync(join(dir, 'inc-b.conf'), 'Host alpha beta\n  User second\n  Port 2202\n  ProxyJump j1@gw:2222,gw2\n');
  const main = join(dir, 'config');
  writeFileSync(
    main,
    `Include ${dir}/inc-*.conf
Host x.hpc !bad.hpc node??
  User hpcuser
  UserKnownHostsFile /tmp/kh1 /tmp/kh2
Host direct
  ProxyJump none
Host *
  ProxyJump fallback-gw
  ConnectTimeout 9
  User everyone
`,
  );
  const { execFileSync } = await import('node:child_process');
  const { homedir } = await import('node:os');
  const cfg = await SshConfig.load(main, { home: homedir() });
  for (const alias of ['alpha', 'beta', 'x.hpc', 'bad.hpc', 'node01', 'direct', 'other']) {
    const out = execFileSync('ssh', ['-G', '-F', main, alias], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const g = new Map<string, string>();
    for (const line of out.split('\n')) {
      const i = line.indexOf(' ');
      if (i > 0) g.set(line.slice(0, i).toLowerCase(), line.slice(i + 1));
    }
    const c = cfg.resolve(alias);
    assert.equal(c.hostName, g.get('hostname'), `${alias} hostname`);
    assert.equal(c.user, g.get('user'), `${alias} user`);
    assert.equal(String(c.port), g.get('port'), `${alias} port`);
    assert.equal(c.proxyJump.join(','), g.get('proxyjump') ?? '', `${alias} proxyjump`);
    assert.equal(String((c.connectTimeoutMs ?? 0) / 1000), g.get('connecttimeout') ?? '0', `${alias} connecttimeout`);
    assert.equal(String((c.serverAliveIntervalMs ?? 0) / 1000), g.get('serveraliveinterval'), `${alias} serveraliveinterval`);
    assert.equal(c.knownHostsFiles?.join(' '), g.get('userknownhostsfile'), `${alias} userknownhostsfile`);
  }
});

test('the system-wide file is read after the user file (user values win), and only by default', async (t) => {
  const home = fakeHome({
    '.ssh/config': 'Host cluster\n  User alice\nHost *\n  Port 2200\n',
    'system/ssh_config': 'Host *\n  User sysuser\n  Port 23\n  HashKnownHosts yes\nHost sysalias\n  HostName sys.example.org\n',
  });
  t.after(() => rmSync(home, { recursive: true, force: true }));
  const systemConfigFile = join(home, 'system/ssh_config');
  const cfg = await SshConfig.load(undefined, { ...opts(home), systemConfigFile });
  const c = cfg.resolve('cluster');
  assert.equal(c.user, 'alice');
  assert.equal(c.port, 2200);
  assert.equal(c.hashKnownHosts, true);
  assert.equal(cfg.resolve('other').user, 'sysuser');
  assert.deepEqual(cfg.aliases(), ['cluster', 'sysalias']);
  assert.deepEqual(cfg.files, [join(home, '.ssh/config'), systemConfigFile]);
  // An explicit config file is like `ssh -F`: no system file unless asked for.
  const only = await SshConfig.load(join(home, '.ssh/config'), { home });
  assert.notEqual(only.resolve('other').user, 'sysuser');
  assert.deepEqual(only.files, [join(home, '.ssh/config')]);
});
