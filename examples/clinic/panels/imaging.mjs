// Imaging panel: a DICOM slice (pydicom's CT or MR test slice, or the user's own file, read in this tab) through the
// untrained CheXNet-architecture DenseNet-121, with the class activation map of the chosen finding over the image.
import { readSlice, resize, windowed } from "../lib/dicom.mjs";
import { analyseSlice, camSetup } from "../lib/imaging.mjs";
import { drawBars, greyRgba } from "./draw.mjs";

const MODEL = "cache/chexnet-densenet121.enn";

/** The slice as the model sees it (windowed, resized to the input size) with the CAM over it, at 2× on the canvas. */
function draw(canvas, slice, window, size, cam, overlay, explain) {
  const grey = resize(windowed(slice, window), slice.rows, slice.columns, size);
  const ctx = canvas.getContext("2d"), scale = canvas.width / size;
  const picture = new OffscreenCanvas(size, size);
  picture.getContext("2d").putImageData(new ImageData(greyRgba(grey), size, size), 0, 0);
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(picture, 0, 0, canvas.width, canvas.height);
  if (!overlay) return;
  const heat = explain.toRgba(cam, { colormap: "jet", alpha: "value", width: size * scale, height: size * scale });
  const layer = new OffscreenCanvas(heat.width, heat.height);
  layer.getContext("2d").putImageData(new ImageData(heat.data, heat.width, heat.height), 0, 0);
  ctx.drawImage(layer, 0, 0); // drawImage blends; putImageData would replace the picture
}

export async function startImaging({ edgenn, $, fetchData, publish, panel }) {
  const file = $("imaging-file");
  // The example slices are fetched with the model, so that choosing one later makes no request.
  const [bytes, ...slices] = await Promise.all([MODEL, ...[...file.options].map((o) => o.value)].map(fetchData));
  const examples = new Map([...file.options].map((o, i) => [o.value, slices[i]]));
  const { features, weights } = camSetup(edgenn.readEnn, bytes);
  const t0 = performance.now();
  // DenseNet-121 takes ~0.1-0.2 s a slice: in a worker, so the page keeps responding while it runs.
  const session = await edgenn.loadInWorker(bytes, { taps: [features] });
  const loadMs = performance.now() - t0;
  const { labels } = session.metadata.output, { size } = session.metadata.preprocessing;
  const upload = $("imaging-upload"), centre = $("imaging-centre"), width = $("imaging-width"), overlay = $("imaging-overlay");
  let slice, name, target, last; // target undefined: the most probable finding

  const analyse = panel.latest(async () => {
    const window = [centre.valueAsNumber, width.valueAsNumber];
    if (!window.every(Number.isFinite) || window[1] <= 0) throw new Error("the window needs a centre and a width above 0");
    const t = performance.now();
    const r = await analyseSlice(session, edgenn, slice, { weights, target, window });
    return { r, window, ms: performance.now() - t };
  }, ({ r, window, ms }) => {
    last = { r, window };
    draw($("imaging-canvas"), slice, window, size, r, overlay.checked, edgenn.explain);
    $("imaging-info").textContent = `${name}: ${slice.description}; window ${window[0]} / ${window[1]} (${slice.windowSource}). CAM: ${labels[r.target.index]}.`;
    const rows = drawBars($("imaging-findings"), labels.map((label, i) => ({ label, value: r.scores[i], text: r.scores[i].toFixed(3) })), { max: 1 });
    rows.forEach((row, i) => {
      row.classList.toggle("selected", i === r.target.index);
      row.title = `show the class activation map of ${labels[i]}`;
      row.addEventListener("click", () => { target = i; analyse(); });
    });
    $("imaging-timing").textContent = `DenseNet-121 (8 M parameters, 5.7 GFLOPs) and the CAM in ${ms.toFixed(0)} ms; the model loaded in ${loadMs.toFixed(0)} ms.`;
    publish({ file: name, window, scores: Array.from(r.scores), target: r.target.index, cam: Array.from(r.features.map), camShape: r.features.shape, ms, loadMs });
  });

  /** A new slice: its own window in the inputs, the CAM back to the top finding. */
  const open = panel.latest(async (what, read) => ({ what, slice: readSlice(globalThis.dicomParser, await read()) }), (x) => {
    ({ slice, what: name } = x);
    [centre.value, width.value] = slice.window.map(String);
    target = undefined;
    return analyse();
  });
  const openExample = () => open(file.value.split("/").pop(), () => examples.get(file.value));
  file.addEventListener("change", openExample);
  upload.addEventListener("change", () => {
    const f = upload.files[0];
    if (!f) return;
    file.selectedIndex = -1; // the example slices are not what is shown now
    open(`${f.name} (yours, read in this tab)`, async () => new Uint8Array(await f.arrayBuffer()));
  });
  for (const input of [centre, width]) input.addEventListener("change", () => analyse());
  overlay.addEventListener("change", () => last && draw($("imaging-canvas"), slice, last.window, size, last.r, overlay.checked, edgenn.explain));
  for (const el of [file, upload, centre, width]) el.disabled = false;
  await openExample();
  return session;
}
