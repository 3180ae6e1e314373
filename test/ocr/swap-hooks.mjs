// Module resolution hooks standing in for a package manager's override (docs/switching-from-onnxruntime.md,
// way 1: "overrides": { "onnxruntime-node": "npm:edgenn" }): a library imported unchanged gets edgenn (or the
// mixed runtime) wherever it asks for onnxruntime. The replacement modules themselves still reach the real one.
let map = {};
let exempt = [];

export function initialize(data) {
  map = data.map;
  exempt = data.exempt;
}

export async function resolve(specifier, context, next) {
  if (Object.hasOwn(map, specifier) && !exempt.some((u) => context.parentURL?.startsWith(u))) {
    return { url: map[specifier], shortCircuit: true };
  }
  return next(specifier, context);
}
