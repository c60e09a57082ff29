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
// Answer lines announced by writes and not yet handed out; more than that is a protocol
// violation. A pending read: how many lines, and its request number (ChildPipe.call).
let owed = 0;
let read = null;
let unrequested = null;
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
  if (read === null) return;
  const { count, seq } = read;
  if (unrequested !== null) {
    read = null;
    reply(seq, { unrequested, stderr });
  } else if (lines.length >= count) {
    const out = lines.splice(0, count);
    owed -= out.length;
    read = null;
    reply(seq, { lines: out });
  } else if (exit !== null) {
    read = null;
    reply(seq, { lines: lines.splice(0), exit, stderr });
  }
}

parentPort.on("message", (m) => {
  if (m.kind === "write") {
    // Lines beyond what earlier requests were owed: the program answered more than asked.
    if (lines.length > owed && unrequested === null) unrequested = lines.splice(owed);
    owed += m.lines;
    child.stdin.write(m.text);
  } else if (m.kind === "read") {
    read = { count: m.count, seq: m.seq };
    answer();
  } else if (m.kind === "stderr") {
    reply(m.seq, { stderr });
  } else if (m.kind === "close") {
    child.stdin.end();
    if (m.kill) child.kill("SIGKILL");
  }
});
