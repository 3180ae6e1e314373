// Kernel unit tests: each SIMD kernel against a plain scalar reference written in the spec.
export default {
  entries: ["test/kernels/**/*.spec.ts"],
  include: ["test/kernels/**/*.include.ts"],
  disclude: [/node_modules/],
  async instantiate(memory, createImports, instantiate, binary) {
    return instantiate(binary, createImports({ env: { memory } }));
  },
  outputBinary: false,
};
