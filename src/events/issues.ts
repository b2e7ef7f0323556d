import type { z } from 'zod';

/** One problem with an input, `path` naming the field (`id`, `[2].type`, `ce-type`, `data.task_name`). */
export interface Issue {
  path: string;
  message: string;
}

/** What a parser returns: never an exception, either the events or every problem found. */
export type ParseResult<T> = { ok: true; events: T[] } | { ok: false; issues: Issue[] };

/**
 * Joins a zod path into the string form used in problem+json answers: `[2].type`, `data.items[0]`.
 *
 * @example
 * formatPath(['data', 'items', 0, 'id'], '[2]') // '[2].data.items[0].id'
 */
export function formatPath(path: readonly PropertyKey[], prefix = ''): string {
  let out = prefix;
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out;
}

/** Says "required" for a missing field instead of zod's "expected string, received undefined". */
export const requiredFieldMessages: z.core.$ZodErrorMap = (issue) =>
  issue.code === 'invalid_type' && issue.input === undefined ? 'required' : undefined;

/** Converts zod issues, with paths joined under `prefix`; an unknown key is named by its own path. */
export function fromZodIssues(issues: readonly z.core.$ZodIssue[], prefix = ''): Issue[] {
  return issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({
          path: formatPath([...issue.path, key], prefix),
          message: 'unknown field',
        }))
      : [{ path: formatPath(issue.path, prefix), message: issue.message }],
  );
}
