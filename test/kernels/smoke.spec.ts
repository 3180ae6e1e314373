describe("toolchain", () => {
  it("runs v128", () => {
    const v = f32x4.splat(2.0);
    expect(f32x4.extract_lane(f32x4.mul(v, v), 3)).toBe(4.0);
  });
});
