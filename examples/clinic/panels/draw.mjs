// Drawing for the panels: labelled HTML bars (readable by screen readers and tests, selectable text) and canvas
// line plots. Plain DOM, no library.

/**
 * Rows of bars into `container`: [{ label, value, text }]. `signed`: bars grow left (negative, blue) or right
 * (positive, red) from the middle; otherwise from the left. `max`: the value of a full bar (default the largest |value|).
 * Returns the row elements (for click handlers).
 */
export function drawBars(container, rows, { signed = false, max = Math.max(...rows.map((r) => Math.abs(r.value)), 1e-12) } = {}) {
  const els = rows.map(({ label, value, text }) => {
    const row = document.createElement("div");
    row.className = "row";
    row.style.display = "contents";
    const bar = Object.assign(document.createElement("span"), { className: `bar ${signed ? (value >= 0 ? "pos" : "neg") : "plain"}` });
    const part = (Math.min(Math.abs(value), max) / max) * (signed ? 50 : 100);
    Object.assign(bar.style, { width: `${part}%`, left: signed ? `${value >= 0 ? 50 : 50 - part}%` : "0" });
    const track = Object.assign(document.createElement("span"), { className: "track" });
    track.append(bar);
    row.append(Object.assign(document.createElement("span"), { textContent: label }), Object.assign(document.createElement("span"), { className: "value", textContent: text }), track);
    return row;
  });
  container.replaceChildren(...els);
  return els;
}

/**
 * Lines on a canvas: `series` [{ values, color }] over x = 0 … `length` − 1 (values may be shorter: drawn so far),
 * y from `range` [lo, hi]; `clear` first (default true). `markers`: x positions of thin vertical lines; `caption`:
 * what the axis shows, written top left with the range.
 */
export function plotLines(canvas, series, { length, range: [lo, hi], clear = true, markers = [], lineWidth = 1.5, caption }) {
  const ctx = canvas.getContext("2d"), { width, height } = canvas;
  if (clear) {
    ctx.clearRect(0, 0, width, height);
    ctx.strokeStyle = "#d5dae1";
    ctx.lineWidth = 1;
    for (const m of markers) {
      const x = (m / Math.max(length - 1, 1)) * width;
      ctx.beginPath(); ctx.moveTo(x, 0); ctx.lineTo(x, height); ctx.stroke();
    }
    if (caption) {
      ctx.fillStyle = "#5b6573";
      ctx.font = "11px system-ui, sans-serif";
      ctx.fillText(`${caption} ${lo.toPrecision(3)} … ${hi.toPrecision(3)}`, 4, 12);
    }
  }
  const y = (v) => height - 2 - ((v - lo) / (hi - lo)) * (height - 4);
  for (const { values, color } of series) {
    ctx.strokeStyle = color;
    ctx.lineWidth = lineWidth;
    ctx.beginPath();
    for (let i = 0; i < values.length; i++) ctx[i ? "lineTo" : "moveTo"]((i / Math.max(length - 1, 1)) * width, y(values[i]));
    ctx.stroke();
  }
}

/** A grey image (values 0-1, row-major) as RGBA bytes for ImageData. */
export function greyRgba(values) {
  const rgba = new Uint8ClampedArray(values.length * 4);
  for (let i = 0; i < values.length; i++) {
    rgba.fill(Math.round(values[i] * 255), 4 * i, 4 * i + 3);
    rgba[4 * i + 3] = 255;
  }
  return rgba;
}
