// The kernel specs against the scalar build: scripts/scalar-specs.mjs writes the copies to build/kernels-scalar/.
import base from "./as-pect.config.js";
export default { ...base, entries: ["build/kernels-scalar/*.spec.ts"] };
