/** Which code the server under test runs: the working tree, or a commit unpacked on its own. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const REPO_ROOT = path.join(__dirname, '..', '..');

export interface ServerSource {
  /** A checkout holding src/, assets/ and public/ (and dist/ when built). */
  root: string;
  /** The commit, and for the working tree how many files under src/ differ from it. */
  code: string;
  cleanup(): void;
}

function git(...args: string[]): string {
  return execFileSync('git', args, { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

/** The working tree as it is, changes not committed yet included. */
export function workingTree(): ServerSource {
  let code = 'unknown';
  try {
    const changed = git('status', '--porcelain', '--', 'src').split('\n').filter(Boolean).length;
    code = `${git('rev-parse', '--short', 'HEAD')}${changed ? ` + ${changed} changed files in src/ (working tree)` : ''}`;
  } catch {
    // not a git checkout
  }
  return { root: REPO_ROOT, code, cleanup: () => {} };
}

/**
 * The tree of `ref` unpacked into a temporary folder that borrows this checkout's node_modules: a run that
 * others' unfinished edits cannot change or break halfway, and that says exactly what it measured.
 */
export function snapshot(ref: string): ServerSource {
  const commit = git('rev-parse', '--short', `${ref}^{commit}`);
  const root = mkdtempSync(path.join(os.tmpdir(), 'load-src-'));
  try {
    const tar = path.join(root, 'tree.tar');
    git('archive', '--format=tar', '-o', tar, commit);
    execFileSync('tar', ['-xf', tar, '-C', root]);
    rmSync(tar);
    symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(root, 'node_modules'), 'dir');
  } catch (err) {
    rmSync(root, { recursive: true, force: true });
    throw err;
  }
  return { root, code: `${commit}${ref === commit ? '' : ` (${ref})`}, unpacked on its own`, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

/** Builds the server in `root` as `npm start` does (dist/ from src/), so what is measured is what runs. */
export function build(root: string): void {
  try {
    execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(root, 'tsconfig.build.json')], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const { stdout, stderr } = err as { stdout?: Buffer; stderr?: Buffer };
    throw new Error(`the server did not build: ${`${stdout ?? ''}${stderr ?? ''}`.trim() || (err as Error).message}`);
  }
}
