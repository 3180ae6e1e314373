// DICOM in, model input out: a CT/MR slice as a CNN input (rescale to the modality's units, window, bilinear
// resize, three channels, ImageNet normalisation) and a 12-lead ECG as signals in millivolts. Plain JavaScript with
// no imports: the caller passes in dicom-parser (window.dicomParser in a page, the npm package in Node and Deno), so
// the page, the Deno monitor and the tests run this same file.

// Uncompressed little-endian only: what dicom-parser hands over as plain bytes. Compressed pixel data needs a codec
// this example does not carry.
const UNCOMPRESSED = new Set(["1.2.840.10008.1.2", "1.2.840.10008.1.2.1"]);
// The window when a file names none: soft tissue for CT (level 40 HU, width 400 HU); otherwise the value range.
const DEFAULT_WINDOW = { CT: [40, 400] };

/** Parses a DICOM file (Uint8Array) or says plainly why not; the transfer syntax is checked before the data set is read. */
function parse(dicomParser, bytes, what) {
  const readable = (read) => {
    try {
      return read();
    } catch (e) {
      throw new Error(`not a readable DICOM file (${e?.exception ?? e?.message ?? e})`);
    }
  };
  const syntax = readable(() => dicomParser.readPart10Header(bytes)).string("x00020010") ?? "1.2.840.10008.1.2";
  if (!UNCOMPRESSED.has(syntax)) throw new Error(`${what} uses transfer syntax ${syntax} (compressed, deflated or big-endian); this example reads uncompressed little-endian files: convert it first (e.g. gdcmconv --raw)`);
  return readable(() => dicomParser.parseDicom(bytes));
}

/**
 * A single-frame greyscale slice → { rows, columns, values (Float32Array: stored values × RescaleSlope +
 * RescaleIntercept, so Hounsfield units for CT), modality, window: [centre, width], windowSource, description }.
 */
export function readSlice(dicomParser, bytes) {
  const ds = parse(dicomParser, bytes, "the image");
  const rows = ds.uint16("x00280010"), columns = ds.uint16("x00280011");
  const pixels = ds.elements.x7fe00010;
  if (!rows || !columns || !pixels) throw new Error("the file has no image (no Rows, Columns or Pixel Data): is it a waveform or a report?");
  if ((ds.uint16("x00280002") ?? 1) !== 1) throw new Error("a colour image: this example reads greyscale (MONOCHROME) slices");
  const bits = ds.uint16("x00280100"), signed = ds.uint16("x00280103") === 1;
  if (bits !== 8 && bits !== 16) throw new Error(`${bits} bits per pixel: this example reads 8 or 16`);
  const n = rows * columns;
  if (pixels.length < (n * bits) / 8) throw new Error(`the pixel data holds ${pixels.length} bytes, ${rows}×${columns} pixels of ${bits} bits need ${(n * bits) / 8}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset + pixels.dataOffset, (n * bits) / 8); // frame 1 only
  const slope = ds.floatString("x00281053") ?? 1, intercept = ds.floatString("x00281052") ?? 0;
  const read = bits === 16 ? (i) => (signed ? view.getInt16(2 * i, true) : view.getUint16(2 * i, true)) : (i) => (signed ? view.getInt8(i) : view.getUint8(i));
  const values = Float32Array.from({ length: n }, (_, i) => read(i) * slope + intercept);
  if (ds.string("x00280004") === "MONOCHROME1") for (let i = 0; i < n; i++) values[i] = -values[i]; // bright = low
  const modality = ds.string("x00080060") ?? "OT";
  const centre = ds.floatString("x00281050"), width = ds.floatString("x00281051");
  let window, windowSource;
  if (centre !== undefined && width > 0) [window, windowSource] = [[centre, width], "file"];
  else if (DEFAULT_WINDOW[modality]) [window, windowSource] = [DEFAULT_WINDOW[modality], `${modality} default`];
  else {
    const [lo, hi] = values.reduce(([a, b], v) => [Math.min(a, v), Math.max(b, v)], [Infinity, -Infinity]);
    [window, windowSource] = [[(lo + hi) / 2, Math.max(hi - lo, 1)], "value range"];
  }
  const series = ds.string("x0008103e");
  const description = `${modality}${series ? `, series “${series}”` : ""}, ${columns}×${rows}`;
  return { rows, columns, values, modality, window, windowSource, description };
}

/** The slice windowed to [0, 1]: centre ± width/2 spans the grey ramp, values beyond it are clipped. */
export function windowed(slice, [centre, width] = slice.window) {
  const lo = centre - width / 2;
  return Float32Array.from(slice.values, (v) => Math.min(1, Math.max(0, (v - lo) / width)));
}

/**
 * Resizes a [rows, columns] image to [size, size]: bilinear with half-pixel centres (what PyTorch's interpolate
 * with align_corners=False does, so a model trained on torch-resized images sees the same pixels), one axis at
 * a time.
 */
export function resize(img, rows, columns, size) {
  const axis = (n) => Array.from({ length: size }, (_, i) => {
    const x = Math.min(Math.max((i + 0.5) * (n / size) - 0.5, 0), n - 1), lo = Math.floor(x);
    return { lo, hi: Math.min(lo + 1, n - 1), f: x - lo };
  });
  const across = axis(columns), down = axis(rows);
  const tmp = new Float32Array(rows * size); // columns resized, rows not yet
  for (let r = 0; r < rows; r++) for (const [c, { lo, hi, f }] of across.entries()) tmp[r * size + c] = img[r * columns + lo] * (1 - f) + img[r * columns + hi] * f;
  const out = new Float32Array(size * size);
  for (const [r, { lo, hi, f }] of down.entries()) for (let c = 0; c < size; c++) out[r * size + c] = tmp[lo * size + c] * (1 - f) + tmp[hi * size + c] * f;
  return out;
}

/** The model input [1, 3, size, size]: the windowed slice resized, in each of the three channels normalised. */
export function sliceInput(slice, { size, mean, std, window }) {
  const grey = resize(windowed(slice, window), slice.rows, slice.columns, size);
  const x = new Float32Array(3 * size * size);
  for (let c = 0; c < 3; c++) for (let i = 0; i < grey.length; i++) x[c * grey.length + i] = (grey[i] - mean[c]) / std[c];
  return x;
}

const CODE_MEANING = "x00080104";

/**
 * The first waveform group (an ECG's rhythm strip) → { frequency, samples, label, leads: [{ name, mV: Float32Array }] }:
 * stored values + ChannelBaseline, × ChannelSensitivity × its correction factor, in millivolts.
 */
export function readWaveform(dicomParser, bytes) {
  const ds = parse(dicomParser, bytes, "the waveform");
  const group = ds.elements.x54000100?.items?.[0]?.dataSet;
  if (!group) throw new Error("the file has no waveform (no Waveform Sequence): is it an image?");
  const channels = group.uint16("x003a0005"), samples = group.uint32("x003a0010"), frequency = group.floatString("x003a001a");
  const bits = group.uint16("x54001004"), kind = group.string("x54001006"), data = group.elements.x54001010;
  if (bits !== 16 || (kind !== "SS" && kind !== "US")) throw new Error(`waveform samples of ${bits} bits (${kind}): this example reads 16-bit ones`);
  if (!data || data.length < channels * samples * 2) throw new Error("the waveform data is shorter than its channels × samples");
  const view = new DataView(bytes.buffer, bytes.byteOffset + data.dataOffset, channels * samples * 2);
  const leads = (group.elements.x003a0200?.items ?? []).slice(0, channels).map((item, ch) => {
    const d = item.dataSet;
    const units = d.elements.x003a0211?.items?.[0]?.dataSet.string("x00080100") ?? "uV";
    const scale = (d.floatString("x003a0210") ?? 1) * (d.floatString("x003a0212") ?? 1) * ({ uV: 1e-3, mV: 1, V: 1e3 }[units] ?? 1);
    const baseline = d.floatString("x003a0213") ?? 0;
    const name = d.elements.x003a0208?.items?.[0]?.dataSet.string(CODE_MEANING) ?? `channel ${ch + 1}`;
    // Multiplexed: sample t of channel ch at (t · channels + ch).
    const mV = Float32Array.from({ length: samples }, (_, t) => ((kind === "SS" ? view.getInt16(2 * (t * channels + ch), true) : view.getUint16(2 * (t * channels + ch), true)) + baseline) * scale);
    return { name: name.replace(/ \(Einthoven\)$/, ""), mV };
  });
  if (leads.length !== channels) throw new Error(`the waveform defines ${leads.length} of its ${channels} channels`);
  return { frequency, samples, label: group.string("x003a0020") ?? "", leads };
}
