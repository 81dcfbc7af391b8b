// Progress for long work, on stderr, only where someone watches: stderr is a terminal, the output
// is not --json, and CI is not set (CI logs keep only the report). On a terminal the current
// phase is one line that updates in place with the elapsed time.

export interface Progress {
  (line: string): void;
  /** Clears the line before the report is printed. */
  done(): void;
}

export function progressEnabled(opts: { json: boolean }, stream: { isTTY?: boolean } = process.stderr, env: NodeJS.ProcessEnv = process.env): boolean {
  return stream.isTTY === true && !opts.json && !env.CI;
}

export function createProgress(enabled: boolean, stream: NodeJS.WriteStream = process.stderr, now: () => number = Date.now): Progress {
  if (!enabled) return Object.assign(() => undefined, { done: () => undefined });
  const started = now();
  let current = "";
  const draw = () => {
    const s = Math.round((now() - started) / 1000);
    const text = `[${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}] ${current}`;
    const width = (stream.columns ?? 100) - 1;
    stream.write(`\r\x1b[K${text.length > width ? `${text.slice(0, width - 1)}…` : text}`);
  };
  const timer = setInterval(draw, 1000);
  timer.unref();
  const p = (line: string) => {
    current = line;
    draw();
  };
  return Object.assign(p, {
    done: () => {
      clearInterval(timer);
      if (current) stream.write("\r\x1b[K");
    },
  });
}
