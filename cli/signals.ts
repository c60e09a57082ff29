/**
 * Stopping a long command cleanly on SIGINT (Ctrl-C), SIGTERM (what `timeout` and CI
 * cancellation send) and SIGHUP (a closed terminal): the first asks every job to stop
 * after its current run, so what was found is reported (it is already saved). A second
 * SIGINT exits at once, still losing nothing saved: findings are on disk as they are found.
 */
import type { Io } from "./io.ts";

const STOPPING_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
type StopSignal = (typeof STOPPING_SIGNALS)[number];

/** Exit status after a second Ctrl-C: 128 + SIGINT, as a shell reports it. */
const EXIT_INTERRUPTED = 130;

export function stopOnSignals(io: Io, command: string, stop: () => void) {
  const state = { received: null as StopSignal | null };
  const handlers = STOPPING_SIGNALS.map((signal) => {
    const handler = () => {
      if (state.received !== null && signal === "SIGINT") {
        io.err(`irqcheck ${command}: second ${signal}: exiting now; the findings reported so far are saved`);
        process.exit(EXIT_INTERRUPTED);
      }
      if (state.received === null) {
        state.received = signal;
        io.err(`irqcheck ${command}: ${signal}: stopping after the current runs (Ctrl-C again to exit at once)`);
        stop();
      }
    };
    process.on(signal, handler);
    return [signal, handler] as const;
  });
  return {
    get received() {
      return state.received;
    },
    dispose() {
      for (const [signal, handler] of handlers) process.off(signal, handler);
    },
  };
}
