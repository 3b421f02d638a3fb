import { spawn, type ChildProcess } from 'node:child_process';

/** Sends `signal` (default SIGKILL) to a child still running and waits until it has exited. */
export async function killAndWait(child: ChildProcess | undefined, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill(signal);
  await exited;
}

export interface Finished {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command to its end and returns its exit code and output. */
export function run(command: string, args: readonly string[], opts: { cwd: string; env?: Record<string, string> }): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: opts.cwd, env: { ...process.env, ...opts.env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A long-running process, its output so far, and the log line that said it was up. */
export interface Service {
  readonly child: ChildProcess;
  readonly ready: Record<string, unknown>;
  output(): string;
  /** SIGTERM, then waits for the exit; resolves with the exit code. */
  stop(): Promise<number | null>;
}

/**
 * Starts a service that logs pino JSON lines on stdout and resolves once a line with `msg` ===
 * `readyMsg` appears (that line, parsed, is `ready`). Rejects with the whole output when the process
 * exits first or `timeoutMs` passes.
 */
export function startService(
  command: string,
  args: readonly string[],
  opts: { cwd: string; env?: Record<string, string>; readyMsg: string; timeoutMs?: number },
): Promise<Service> {
  const child = spawn(command, args, { cwd: opts.cwd, env: { ...process.env, ...opts.env } });
  let out = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command} ${args.join(' ')}: no "${opts.readyMsg}" within ${opts.timeoutMs ?? 60_000} ms; output:\n${out}`));
    }, opts.timeoutMs ?? 60_000);
    const onData = (d: Buffer): void => {
      out += d.toString();
      for (const line of out.split('\n')) {
        const parsed = parseJsonLine(line);
        if (parsed?.msg !== opts.readyMsg) continue;
        clearTimeout(timer);
        resolve({
          child,
          ready: parsed,
          output: () => out,
          stop: () => {
            if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
            return exited;
          },
        });
        return;
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${command} ${args.join(' ')} exited (${code}) before "${opts.readyMsg}"; output:\n${out}`));
    });
  });
}

function parseJsonLine(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}
