// The worker thread behind protocol/pipe.ts: it owns one child process and its pipes,
// so the caller's thread can block (Atomics.wait) until the answer lines are in.
// Plain JavaScript: it starts without the TypeScript loader.
import { spawn } from "node:child_process";
import { parentPort, workerData } from "node:worker_threads";

const STDERR_TAIL_CHARS = 4096;
const { program, signal, port } = workerData;

let partial = "";
const lines = [];
let stderr = "";
// The pending send: how many lines it waits for and its request number (ChildPipe.call).
let wanted = null;
let wantedSeq = 0;
let exit = null;

// `exec` so the program itself is the child: a kill reaches it, not a shell.
const child = spawn("/bin/sh", ["-c", `exec ${program}`], { stdio: ["pipe", "pipe", "pipe"] });
child.stdout.setEncoding("utf8");
child.stderr.setEncoding("utf8");
child.stdout.on("data", (chunk) => {
  let text = partial + chunk;
  let nl = text.indexOf("\n");
  while (nl >= 0) {
    const line = text.slice(0, nl).trim();
    if (line !== "") lines.push(line);
    text = text.slice(nl + 1);
    nl = text.indexOf("\n");
  }
  partial = text;
  answer();
});
child.stderr.on("data", (chunk) => {
  stderr = (stderr + chunk).slice(-STDERR_TAIL_CHARS);
});
// A write to a program that has exited: its exit is what gets reported.
child.stdin.on("error", () => {});
child.on("error", (e) => {
  exit = { error: e.message };
  answer();
});
// "close": the exit status and every line written before it are in.
child.on("close", (code, sig) => {
  if (partial.trim() !== "") lines.push(partial.trim());
  partial = "";
  exit ??= { code, signal: sig };
  answer();
});

function reply(seq, message) {
  port.postMessage({ ...message, seq });
  Atomics.store(signal, 0, seq);
  Atomics.notify(signal, 0);
}

function answer() {
  if (wanted === null) return;
  if (lines.length >= wanted) {
    const out = lines.splice(0, wanted);
    wanted = null;
    reply(wantedSeq, { lines: out });
  } else if (exit !== null) {
    wanted = null;
    reply(wantedSeq, { lines: lines.splice(0), exit, stderr });
  }
}

parentPort.on("message", (m) => {
  if (m.kind === "send") {
    // Lines nobody asked for: the program answered more than the protocol allows.
    if (lines.length > 0) return reply(m.seq, { unrequested: lines.splice(0), stderr });
    wanted = m.lines;
    wantedSeq = m.seq;
    child.stdin.write(m.text);
    answer();
  } else if (m.kind === "stderr") {
    reply(m.seq, { stderr });
  } else if (m.kind === "close") {
    child.stdin.end();
    if (m.kill) child.kill("SIGKILL");
  }
});
