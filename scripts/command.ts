import { existsSync } from 'node:fs';

/** How a command talks to its terminal; tests pass their own. */
export interface CommandIo {
  out(text: string): void;
  err(text: string): void;
  env: NodeJS.ProcessEnv;
}

/**
 * Runs a command's `main` as this process: `.env` read first (like the server), the exit code it resolves to, and
 * a crash reported in one line. `extra` fills what a command's io has beyond `CommandIo`.
 */
export function runAsCommand<Io extends CommandIo>(main: (argv: string[], io: Io) => Promise<number>, extra: Omit<Io, keyof CommandIo>): void {
  if (existsSync('.env')) process.loadEnvFile('.env');
  const terminal: CommandIo = { out: (text) => void process.stdout.write(text), err: (text) => void process.stderr.write(text), env: process.env };
  const io = { ...terminal, ...extra } as unknown as Io;
  main(process.argv.slice(2), io).then(
    (code) => (process.exitCode = code),
    (err: Error) => {
      process.stderr.write(`${err.message}\n`);
      process.exitCode = 1;
    },
  );
}
