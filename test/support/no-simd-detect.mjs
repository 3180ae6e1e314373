// Whether a wasm binary declares v128 values (used by no-simd.mjs, the preload that simulates an engine without
// SIMD, and by test/scalar.test.mjs; importing this file changes nothing).
const V128 = 0x7b;

/** Reads an unsigned LEB128 at bytes[pos]: [value, next position]. */
export function leb(bytes, pos) {
  let value = 0, shift = 0, b;
  do { b = bytes[pos++]; value += (b & 0x7f) * 2 ** shift; shift += 7; } while (b & 0x80);
  return [value, pos];
}

/** Whether a wasm binary declares v128 anywhere a SIMD-less engine would reject it at decoding. */
export function usesSimd(bytes) {
  let pos = 8;
  while (pos < bytes.length) {
    const id = bytes[pos];
    let size;
    [size, pos] = leb(bytes, pos + 1);
    const end = pos + size;
    if (id === 1 || id === 6) {
      // the type section (function signatures) and the global section (global types)
      if (id === 1 ? typesUseV128(bytes, pos) : globalsUseV128(bytes, pos)) return true;
    } else if (id === 10) {
      let count, p = pos;
      [count, p] = leb(bytes, p);
      for (let f = 0; f < count; f++) {
        let bodySize, groups;
        [bodySize, p] = leb(bytes, p);
        const bodyEnd = p + bodySize;
        [groups, p] = leb(bytes, p);
        for (let g = 0; g < groups; g++) {
          let n;
          [n, p] = leb(bytes, p);
          if (bytes[p++] === V128) return true;
        }
        p = bodyEnd;
      }
    }
    pos = end;
  }
  return false;
}

function typesUseV128(bytes, p) {
  let count;
  [count, p] = leb(bytes, p);
  for (let t = 0; t < count; t++) {
    p++; // 0x60
    for (let side = 0; side < 2; side++) {
      let n;
      [n, p] = leb(bytes, p);
      for (let i = 0; i < n; i++) if (bytes[p++] === V128) return true;
    }
  }
  return false;
}

function globalsUseV128(bytes, p) {
  let count;
  [count, p] = leb(bytes, p);
  for (let g = 0; g < count; g++) {
    if (bytes[p] === V128) return true;
    p += 2; // valtype, mutability
    const op = bytes[p++]; // init expression: one constant or global.get, then `end`
    if (op === 0x41 || op === 0x42 || op === 0x23) p = leb(bytes, p)[1];
    else if (op === 0x43 || op === 0x44) p += op === 0x43 ? 4 : 8;
    else throw new Error(`no-simd.mjs: unexpected global initialiser opcode 0x${op.toString(16)}`);
    p++; // end
  }
  return false;
}
