/** Validation problems as one line each, naming the function and the field (`function 'c' ... (field args[0])`). */
import type { DagIssue } from '@handout/peer-runtime';
import { CliInputError } from './errors.js';

export interface IssueLike {
  readonly functionId?: string;
  readonly field?: string;
  readonly message: string;
}

export function formatIssue(issue: IssueLike): string {
  // Validation messages usually name their function already; add only what the message leaves out.
  const named = issue.functionId === undefined || issue.message.includes(`'${issue.functionId}'`);
  const head = named ? issue.message : `function '${issue.functionId}': ${issue.message}`;
  return issue.field === undefined || issue.message.includes(issue.field)
    ? head
    : `${head} (field ${issue.field})`;
}

/** An invalid DAG: the first problem is the one-line reason, the others follow on their own lines. */
export class InvalidDagFileError extends CliInputError {
  override name = 'InvalidDagFileError';
  constructor(
    readonly file: string,
    readonly issues: readonly DagIssue[],
    options?: { cause?: unknown },
  ) {
    const [first, ...rest] = issues;
    const more = rest.length > 0 ? ` (and ${rest.length} more problem${rest.length === 1 ? '' : 's'})` : '';
    super(`invalid DAG in ${file}: ${first === undefined ? 'unknown problem' : formatIssue(first)}${more}`, {
      ...options,
      details: rest.map(formatIssue),
    });
  }
}
