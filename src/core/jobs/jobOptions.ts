/**
 * Submit options written by hand (a `remote-hpc` task's `options` in tasks.json) or passed by
 * another extension (the API's `JobOptions`): checked one by one into the overrides the Submit
 * Job pick would make. Pure.
 */
import { MAIL_EVENTS, type MailEvent } from '../scheduler/types';
import { isDependency } from '../scheduler/formats';
import { isTag } from '../scheduler/tags';
import type { SubmitOverrides } from './submitOptions';

const ONE_WORD = /^[^\s,]+$/;

/** The overrides, and a message per option that is not usable (the submit should not go ahead then). */
export function readJobOptions(x: unknown): { overrides: SubmitOverrides; errors: string[] } {
  const overrides: SubmitOverrides = {};
  const errors: string[] = [];
  if (x === undefined || x === null) return { overrides, errors };
  if (typeof x !== 'object' || Array.isArray(x)) return { overrides, errors: ['"options" must be an object'] };
  const o = x as Record<string, unknown>;
  const text = (key: 'name' | 'partition' | 'account' | 'time' | 'dependency' | 'mailUser', re: RegExp, what: string) => {
    const v = o[key];
    if (v === undefined) return;
    if (typeof v === 'string' && re.test(v.trim())) overrides[key] = v.trim();
    else errors.push(`"${key}" must be ${what}`);
  };
  text('name', /^[^\n\r]+$/, 'one line');
  text('partition', ONE_WORD, 'one partition name');
  text('account', ONE_WORD, 'one account name');
  text('time', /^(\d+|\d+:\d{1,2}|\d+:\d{1,2}:\d{1,2}|\d+-\d+|\d+-\d+:\d{1,2}|\d+-\d+:\d{1,2}:\d{1,2})$/, 'minutes, HH:MM:SS, D-HH or D-HH:MM:SS');
  text('mailUser', ONE_WORD, 'one mail address');
  text('dependency', /^\S+$/, 'like afterok:123');
  if (overrides.dependency !== undefined && !isDependency(overrides.dependency)) errors.push('"dependency" must be like afterok:123, afterany:1:2 or singleton');
  const words = (key: 'extraArgs' | 'tags' | 'mailType', ok: (w: string) => boolean, what: string): string[] | undefined => {
    const v = o[key];
    if (v === undefined) return undefined;
    if (Array.isArray(v) && v.every((w) => typeof w === 'string' && ok(w))) return v as string[];
    errors.push(`"${key}" must be a list of ${what}`);
    return undefined;
  };
  const extra = words('extraArgs', (w) => w.startsWith('-'), 'options starting with "-"');
  if (extra) overrides.extraArgs = extra;
  const tags = words('tags', isTag, 'tags without ";" or "="');
  if (tags) overrides.tags = [...new Set(tags)];
  const mail = words('mailType', (w) => (MAIL_EVENTS as readonly string[]).includes(w), MAIL_EVENTS.join(', '));
  if (mail) overrides.mailType = [...new Set(mail as MailEvent[])];
  if (o.nice !== undefined) {
    if (typeof o.nice === 'number' && Number.isInteger(o.nice)) overrides.nice = o.nice;
    else errors.push('"nice" must be a whole number');
  }
  if (o.hold !== undefined) {
    if (typeof o.hold === 'boolean') overrides.hold = o.hold;
    else errors.push('"hold" must be true or false');
  }
  const known = new Set(['name', 'partition', 'account', 'time', 'dependency', 'mailUser', 'extraArgs', 'tags', 'mailType', 'nice', 'hold']);
  for (const k of Object.keys(o)) if (!known.has(k)) errors.push(`unknown option "${k}"`);
  return { overrides, errors };
}
