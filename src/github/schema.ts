import { z } from 'zod';

/** The fields of a GitHub issue that drydock reads (REST `issues` endpoints). */
export const GitHubIssue = z.object({
  number: z.number().int().positive(),
  html_url: z.string(),
  title: z.string(),
  state: z.enum(['open', 'closed']),
  body: z.string().nullish(),
  closed_at: z.string().nullish(),
  /** Present when the "issue" is a pull request, which the issues list also returns. */
  pull_request: z.unknown().optional(),
});
export type GitHubIssue = z.infer<typeof GitHubIssue>;

export const GitHubIssueList = z.array(GitHubIssue);

export const GitHubComment = z.object({
  id: z.number().int().positive(),
  html_url: z.string(),
});
export type GitHubComment = z.infer<typeof GitHubComment>;
