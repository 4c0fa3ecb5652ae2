import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const GIT_IDENTITY = ['-c', 'user.name=Drydock Test', '-c', 'user.email=test@drydock.invalid'];

/** Creates a git repository on branch main holding `files`, committed once. */
export function createGitRepo(files: Record<string, string>, subject = 'Initial fixture'): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'drydock-repo-'));
  execFileSync('git', ['init', '-q', '-b', 'main', dir]);
  commitFiles(dir, files, subject);
  return dir;
}

/** Writes `files` into the repository and commits them; returns the new commit hash. */
export function commitFiles(dir: string, files: Record<string, string>, subject: string): string {
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), content);
  }
  execFileSync('git', ['-C', dir, 'add', '-A']);
  execFileSync('git', ['-C', dir, ...GIT_IDENTITY, 'commit', '-q', '--allow-empty', '-m', subject]);
  return execFileSync('git', ['-C', dir, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
}
