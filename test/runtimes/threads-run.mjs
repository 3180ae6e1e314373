// Runs the threads check (threads-check.mjs) in this runtime and prints one JSON line; then leaves a threaded
// session undisposed, so the process only exits if idle kernel threads do not keep it alive.
//   deno run --allow-read=<repo> test/runtimes/threads-run.mjs     bun test/runtimes/threads-run.mjs
import { InferenceSession, Tensor } from "../../dist/index.js";
import { checkThreads, twoConvGraph } from "./threads-check.mjs";

const result = await checkThreads({ InferenceSession, Tensor });
const kept = await InferenceSession.fromGraph(twoConvGraph(), { threads: 2 }); // never disposed
console.log(JSON.stringify({ ...result, keptThreads: kept.threads }));
