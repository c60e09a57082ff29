/** Where commands write: injected so tests can capture it. */
export interface Io {
  out(line: string): void;
  err(line: string): void;
  /**
   * A live progress line (campaigns, explore, matrix); null clears it. Optional: where it
   * is missing (tests) progress is not shown.
   */
  progress?(line: string | null): void;
}

const stderrIsTty = () => process.stderr.isTTY === true;
let lastPlain = 0;

export const processIo: Io = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  // On a terminal, one redrawn line; otherwise (CI logs) a plain line every few seconds.
  progress(line) {
    if (stderrIsTty()) process.stderr.write(line === null ? "\r\x1b[K" : `\r\x1b[K${line}`);
    else if (line !== null && Date.now() - lastPlain >= 5000) {
      lastPlain = Date.now();
      process.stderr.write(`${line}\n`);
    }
  },
};
