// Define a model in code, set weights from arrays, save it as a .enn file, and load it back.
//   npm run build && node examples/build-and-save.mjs
import { writeFileSync } from "node:fs";
import { dense, load, sequential, Tensor } from "../dist/index.js";

const model = sequential([dense(4, "relu", { name: "hidden" }), dense(2, "linear", { name: "out" })], { inputShape: [3] });
model.setWeights("hidden", { kernel: [1, 0, 0, 1, 0, 1, 0, -1, 0, 0, 1, 1], bias: [0, 0, 0, 0.5] }); // [3, 4]
model.setWeights("out", { kernel: [1, -1, 1, 1, 1, 0, 0, 2], bias: [0.1, -0.1] });               // [4, 2]

const bytes = model.save({ name: "tiny", description: "a hand-written example", version: "1", license: "MIT" });
writeFileSync("tiny.enn", bytes);
const session = await load("tiny.enn");
const { output } = await session.run({ input: new Tensor("float32", [1, 2, 3], [1, 3]) });
console.log(`saved tiny.enn (${bytes.length} bytes); output for [1, 2, 3]:`, [...output.data]);
