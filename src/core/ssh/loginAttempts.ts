/**
 * How many password and keyboard-interactive answers one login may send, and what to tell the
 * user when asking again. Clusters lock accounts after a few failures, so:
 * - OpenSSH's NumberOfPasswordPrompts (default 3) caps the answers sent in TOTAL, across the
 *   keyboard-interactive and password methods (a refused remembered password counts too);
 * - a refused one-time code (OTP, verification code, token, Duo…) ends the login at once: the
 *   user asks for another try explicitly (the error's "Try Again").
 * Plain bookkeeping: no ssh2, no prompts, no secrets (only what kind of answer was sent).
 */

const DEFAULT_PASSWORD_PROMPTS = 3;

/** What an answer was, as the user would call it. */
export type AnswerKind = 'password' | 'one-time code' | 'answer';

const ONE_TIME_CODE = /one[- ]?time|\botp\b|verification|token|passcode|\b2fa\b|two[- ]?factor|\bmfa\b|multi[- ]?factor|\bduo\b|authenticator|\bcode\b/i;
const PASSWORD = /pass(word|wort|phrase)|mot de passe|contraseña/i;

/** The kind of a keyboard-interactive round, from its prompts (and instructions): a one-time code wins. */
export function answerKindOf(prompts: readonly string[], instructions = ''): AnswerKind {
  const texts = [...prompts, instructions];
  if (texts.some((t) => ONE_TIME_CODE.test(t))) return 'one-time code';
  if (prompts.some((t) => PASSWORD.test(t))) return 'password';
  return 'answer';
}

/** Reads NumberOfPasswordPrompts: a whole number ≥ 0, else the default. */
export function passwordPromptLimit(value: number | undefined): number {
  return value !== undefined && Number.isInteger(value) && value >= 0 ? value : DEFAULT_PASSWORD_PROMPTS;
}

interface Sent {
  kind: AnswerKind;
  remembered: boolean;
}

/** One login's interactive answers: may another be sent, what to say when asking again, why it stopped. */
export class LoginAttempts {
  private sentCount = 0;
  /** Sent and not yet judged by the server. */
  private pending: Sent | undefined;
  /** The last judged answer, when the server refused it. */
  private refused: Sent | undefined;

  /**
   * @param who `user@host`, for messages.
   * @param max NumberOfPasswordPrompts.
   */
  constructor(
    private readonly who: string,
    readonly max: number = DEFAULT_PASSWORD_PROMPTS,
  ) {}

  /** Answers sent so far (each keyboard-interactive round or password request counts once). */
  get sent(): number {
    return this.sentCount;
  }

  /** May another answer be sent? False after a refused one-time code or once `max` are used. */
  get canAnswer(): boolean {
    return this.stopReason === undefined && this.sentCount < this.max;
  }

  /**
   * An answer of this kind is being sent. Several prompts within one round (before the server
   * judges it) count once; the round is a one-time code if any of them was.
   */
  answered(kind: AnswerKind, opts: { remembered?: boolean } = {}): void {
    if (this.pending) {
      if (kind === 'one-time code' || (kind === 'password' && this.pending.kind === 'answer')) this.pending.kind = kind;
      return;
    }
    this.sentCount++;
    this.pending = { kind, remembered: opts.remembered === true };
  }

  /** The server's verdict on what was sent since the last verdict (partial success counts as accepted). */
  judged(accepted: boolean): void {
    const p = this.pending;
    this.pending = undefined;
    if (!p) return;
    this.refused = accepted ? undefined : p;
  }

  /** The line to show when asking again after a refusal (`… (2 of 3)`); undefined for a first question. */
  retryNotice(): string | undefined {
    const r = this.refused;
    if (!r || this.pending || !this.canAnswer) return undefined;
    const n = `(${this.sentCount + 1} of ${this.max})`;
    return r.remembered ? `The saved password for ${this.who} was refused; enter the current one ${n}` : `Wrong ${r.kind} for ${this.who}, try again ${n}`;
  }

  /** Why no more answers are sent, for the error; undefined while asking may go on. */
  get stopReason(): string | undefined {
    const r = this.refused;
    if (r?.kind === 'one-time code') return `the one-time code for ${this.who} was not accepted (not retried, so the account is not locked out; try again with a new code)`;
    if (this.sentCount >= this.max && r) {
      return `wrong ${r.kind} for ${this.who}, ${this.sentCount} of ${this.max} tries used (NumberOfPasswordPrompts)`;
    }
    return undefined;
  }
}
