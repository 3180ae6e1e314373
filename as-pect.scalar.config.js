// The kernel specs against the scalar build (scripts/scalar-specs.mjs writes build/kernels-scalar/).
export default {
  entries: ["build/kernels-scalar/*.spec.ts"],
  include: ["test/kernels/**/*.include.ts"],
  disclude: [/node_modules/],
  async instantiate(memory, createImports, instantiate, binary) {
    return instantiate(binary, createImports({ env: { memory } }));
  },
  outputBinary: false,
};
