/** The anchors GitHub gives the headings of a Markdown file, so that runbook links can be checked. */
import { readFileSync } from 'node:fs';
import { repoPath } from './tools.js';

/** GitHub's heading slug: lower case, punctuation dropped, spaces to hyphens. */
export function githubSlug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/`/g, '')
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

export function markdownAnchors(relativePath: string): Set<string> {
  const text = readFileSync(repoPath(relativePath), 'utf8').replace(/```[\s\S]*?```/g, '');
  const headings = [...text.matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)].map((m) => m[1]!);
  return new Set(headings.map(githubSlug));
}
