// Debian packages the tests and benchmarks take their data and reference tools from (the only package source
// reachable besides npm): `apt-get download` + `dpkg -x` unpack a package's files into a cache folder without
// installing anything; `ensureTorch` installs Debian's PyTorch (as root) for the model exports.
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";

const aptLog = { stdio: ["ignore", "ignore", "inherit"] };

/** Unpacks each package's files into `dir` (once; later calls find the .deb there) and returns `dir`. */
export function unpackDebs(dir, packages, log = console.error) {
  mkdirSync(dir, { recursive: true });
  try { chmodSync(dir, 0o777); } catch {} // apt's _apt user downloads into it when run as root
  for (const pkg of packages) {
    const find = () => readdirSync(dir).find((f) => f.startsWith(`${pkg}_`) && f.endsWith(".deb"));
    if (find()) continue;
    log(`fetching Debian package ${pkg} into ${dir} ...`);
    try {
      execFileSync("apt-get", ["download", pkg], { cwd: dir, ...aptLog });
    } catch {
      execFileSync("apt-get", ["update", "-qq"], aptLog); // a fresh machine has no package lists yet
      execFileSync("apt-get", ["download", pkg], { cwd: dir, ...aptLog });
    }
    const deb = find();
    if (!deb) throw new Error(`apt-get download ${pkg} produced no .deb`);
    execFileSync("dpkg", ["-x", join(dir, deb), dir], { stdio: "inherit" });
  }
  return dir;
}

/** The Debian python3 with torch and torchvision importable, installing them with apt when running as root. */
export function ensureTorch(log = console.error) {
  const python = "/usr/bin/python3";
  const hasTorch = () => {
    try { execFileSync(python, ["-c", "import torch, torchvision"], { stdio: "ignore" }); return true; } catch { return false; }
  };
  if (hasTorch()) return python;
  if (process.getuid?.() !== 0) {
    throw new Error("the model exports need Debian's PyTorch: run `apt-get install --no-install-recommends python3-torch python3-torchvision` as root");
  }
  log("installing Debian's python3-torch and python3-torchvision (once, about a minute) ...");
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  execFileSync("apt-get", ["update", "-qq"], aptLog);
  execFileSync("apt-get", ["install", "-y", "-qq", "--no-install-recommends", "python3-torch", "python3-torchvision"], { env, ...aptLog });
  if (!hasTorch()) throw new Error("python3-torch installed but `import torch` still fails");
  return python;
}


