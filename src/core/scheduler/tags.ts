/**
 * Job tags, the product's own convention: `tags=a,b` inside the job's comment, so any scheduler
 * with a free-text comment field can carry them. Scheduler-neutral.
 */
import { SpecError } from './command';

// eslint-disable-next-line no-control-regex -- control characters are exactly what a tag must not hold
const TAG = /^[^\s,;=\x00-\x1f]+$/;
const TAGS = /(?:^|[\s;])tags=([^\s;]*)/;

export const isTag = (s: string): boolean => TAG.test(s);

/** The tag of the short jobs the previews submit (Make Video, thumbnails, Convert to WebM): their own UI reports them. */
export const PREVIEW_JOB_TAG = 'remote-hpc-preview';

/** The comment a job is submitted with: the user's comment plus `tags=a,b`. */
export function commentWithTags(comment: string | undefined, tags: readonly string[] | undefined): string | undefined {
  const t = (tags ?? []).map((tag) => {
    if (!TAG.test(tag)) throw new SpecError(`Tag ${JSON.stringify(tag)} must not contain spaces, commas, ';' or '='`);
    return tag;
  });
  const parts = [comment?.trim() ?? '', t.length ? `tags=${t.join(',')}` : ''].filter(Boolean);
  return parts.length ? parts.join('; ') : undefined;
}

/** `tags=a,b` anywhere in a comment. */
export function tagsFromComment(comment: string): string[] {
  const m = TAGS.exec(comment);
  return m?.[1] ? m[1].split(',').filter(Boolean) : [];
}
