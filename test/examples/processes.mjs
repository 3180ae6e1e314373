// Child processes for the example tests: run a command to the end, or start workerd on a free port.
import { execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

export const REPO_DIR = fileURLToPath(new URL("../../", import.meta.url)).replace(/\/$/, "");
const execFileP = promisify(execFile);

/** node_modules/.bin/<name>; a missing devDependency fails the test with how to get it (never a skip). */
export function bin(name) {
  const path = `${REPO_DIR}/node_modules/.bin/${name}`;
  if (!existsSync(path)) throw new Error(`${name} is missing (${path}): it is a devDependency, run npm install; see ../shared/runtimes.md`);
  return path;
}

/** Runs to completion in the repo (killed after `timeout` ms); → { code, stdout, stderr, ms }, whatever the exit code. */
export async function runProcess(cmd, args, { env = {}, timeout = 30_000 } = {}) {
  const t0 = performance.now();
  const options = { cwd: REPO_DIR, env: { ...process.env, NO_COLOR: "1", ...env }, timeout, encoding: "utf8", maxBuffer: 1 << 24 };
  try {
    const { stdout, stderr } = await execFileP(cmd, args, options);
    return { code: 0, stdout, stderr, ms: performance.now() - t0 };
  } catch (e) {
    if (typeof e.code !== "number") throw new Error(`${cmd} ${args.join(" ")}: ${e.signal ? `killed (${e.signal}) after ${timeout} ms` : e.message}\n${e.stderr ?? ""}`);
    return { code: e.code, stdout: e.stdout, stderr: e.stderr, ms: performance.now() - t0 };
  }
}

/**
 * `workerd serve config` with the config's socket "http" on port 0: workerd reports the port it bound on the
 * control fd (3), so there is no port race. → { port, output() (its stdout + stderr), stop() }.
 */
export async function startWorkerd(config, { deadlineMs = 20_000 } = {}) {
  const child = spawn(bin("workerd"), ["serve", config, "--control-fd=3"], { cwd: REPO_DIR, stdio: ["ignore", "pipe", "pipe", "pipe"] });
  let output = "";
  for (const s of [child.stdout, child.stderr]) s.on("data", (d) => (output += d));
  const exited = new Promise((resolve) => child.once("exit", resolve));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
    await exited;
    clearTimeout(timer);
  };
  try {
    const port = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`workerd did not listen within ${deadlineMs} ms`)), deadlineMs);
      let control = "";
      child.stdio[3].on("data", (d) => {
        control += d;
        for (const line of control.split("\n")) {
          try {
            const m = JSON.parse(line);
            if (m.event === "listen" && m.socket === "http") { clearTimeout(timer); resolve(m.port); }
          } catch { /* an unfinished line */ }
        }
      });
      child.once("error", (e) => { clearTimeout(timer); reject(e); });
      exited.then((code) => { clearTimeout(timer); reject(new Error(`workerd exited (${code ?? child.signalCode}) before listening`)); });
    });
    return { port, output: () => output, stop };
  } catch (e) {
    await stop();
    throw new Error(`${e.message}\n${output}`);
  }
}
