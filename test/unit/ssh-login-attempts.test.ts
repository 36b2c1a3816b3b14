/**
 * The login attempt policy (src/core/ssh/loginAttempts.ts): NumberOfPasswordPrompts answers in
 * total across keyboard-interactive and password, "wrong, try again (n of max)" when asking
 * again, a refused one-time code ends the login. The prompt texts below are the real ones of
 * pam_unix, pam_oath, Google Authenticator's PAM module, Duo and RSA SecurID (copied from their
 * sources/docs, not recorded sessions).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LoginAttempts, answerKindOf, passwordPromptLimit } from '../../src/core/ssh/loginAttempts';
import { SshConfig } from '../../src/core/ssh/sshConfig';

test('prompt kinds: one-time codes are told from passwords (a one-time code wins)', () => {
  const otp = [
    "One-time password (OATH) for `hpcuser': ",
    'Verification code: ',
    'Enter PASSCODE: ',
    'Passcode or option (1-3): ',
    'Token: ',
    'Enter your 2FA code: ',
    'OTP: ',
    'Two-factor authentication code: ',
  ];
  for (const p of otp) assert.equal(answerKindOf([p]), 'one-time code', p);
  assert.equal(answerKindOf(['Password: ']), 'password');
  assert.equal(answerKindOf(["hpcuser@login1's password: "]), 'password');
  assert.equal(answerKindOf(['Password: ', 'Verification code: ']), 'one-time code', 'a round asking both is a one-time code');
  assert.equal(answerKindOf(['Choice: '], 'Duo two-factor login for alice'), 'one-time code', 'instructions count');
  assert.equal(answerKindOf(['Login: ']), 'answer');
});

test('NumberOfPasswordPrompts: whole numbers ≥ 0 from the resolved SSH config, else 3', async () => {
  assert.equal(passwordPromptLimit(undefined), 3);
  assert.equal(passwordPromptLimit(1), 1);
  assert.equal(passwordPromptLimit(0), 0);
  assert.equal(passwordPromptLimit(-1), 3);
  const cfg = await SshConfig.parse('Host strict\n  NumberOfPasswordPrompts 1\nHost *\n  NumberOfPasswordPrompts 5\n', { home: '/nonexistent', localUser: 'me', localHost: 'laptop', env: {} });
  assert.equal(cfg.resolve('strict').numberOfPasswordPrompts, 1, 'first obtained value wins');
  assert.equal(cfg.resolve('other').numberOfPasswordPrompts, 5);
  const none = await SshConfig.parse('Host a\n  User u\n', { home: '/nonexistent', localUser: 'me', localHost: 'laptop', env: {} });
  assert.equal(none.resolve('a').numberOfPasswordPrompts, undefined);
  const bad = await SshConfig.parse('Host a\n  NumberOfPasswordPrompts many\n', { home: '/nonexistent', localUser: 'me', localHost: 'laptop', env: {} });
  assert.throws(() => bad.resolve('a'), /Invalid NumberOfPasswordPrompts "many"/);
});

test('wrong passwords: three answers in total across keyboard-interactive and password, each retry says so', () => {
  const a = new LoginAttempts('alice@hpc', 3);
  assert.equal(a.retryNotice(), undefined, 'the first question is plain');
  assert.ok(a.canAnswer);
  a.answered('password'); // keyboard-interactive "Password:"
  a.judged(false);
  assert.equal(a.retryNotice(), 'Wrong password for alice@hpc, try again (2 of 3)');
  assert.equal(a.stopReason, undefined);
  a.answered('password');
  a.judged(false);
  assert.equal(a.retryNotice(), 'Wrong password for alice@hpc, try again (3 of 3)');
  a.answered('password'); // the password method now, same budget
  a.judged(false);
  assert.equal(a.canAnswer, false, 'no fourth answer, whatever the method');
  assert.equal(a.retryNotice(), undefined);
  assert.equal(a.sent, 3);
  assert.match(a.stopReason ?? '', /^wrong password for alice@hpc, 3 of 3 tries used \(NumberOfPasswordPrompts\)$/);
});

test('a refused one-time code stops at once; an accepted step clears the refusal', () => {
  const a = new LoginAttempts('alice@hpc', 3);
  a.answered('one-time code');
  a.judged(false);
  assert.equal(a.canAnswer, false);
  assert.equal(a.retryNotice(), undefined);
  assert.match(a.stopReason ?? '', /one-time code for alice@hpc was not accepted/);

  const b = new LoginAttempts('alice@hpc', 3);
  b.answered('password');
  b.judged(true); // partial success: the password step passed, a code comes next
  assert.equal(b.retryNotice(), undefined);
  b.answered('one-time code');
  b.judged(false);
  assert.equal(b.canAnswer, false, 'the code after an accepted password is not retried either');
});

test('prompts within one round count once, and the round is a code if any prompt was', () => {
  const a = new LoginAttempts('alice@hpc', 3);
  a.answered('password');
  assert.equal(a.retryNotice(), undefined, 'no notice on the second prompt of the same round');
  a.answered('one-time code');
  a.judged(false);
  assert.equal(a.sent, 1);
  assert.equal(a.canAnswer, false);
});

test('a refused remembered password counts, and the next question says it was the saved one', () => {
  const a = new LoginAttempts('alice@hpc', 2);
  a.answered('password', { remembered: true });
  a.judged(false);
  assert.equal(a.retryNotice(), 'The saved password for alice@hpc was refused; enter the current one (2 of 2)');
  a.answered('password');
  a.judged(false);
  assert.equal(a.canAnswer, false);
});

test('NumberOfPasswordPrompts 0: nothing is ever answered; publickey verdicts change nothing', () => {
  const a = new LoginAttempts('alice@hpc', 0);
  assert.equal(a.canAnswer, false);
  const b = new LoginAttempts('alice@hpc', 1);
  b.judged(false); // a refused key or `none`: no answer was pending
  assert.ok(b.canAnswer);
  assert.equal(b.retryNotice(), undefined);
});
