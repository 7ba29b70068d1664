// The page: drawing pads, calls to the JSON API (web/api.py) and animated rendering of strokes.
"use strict";

const $ = (id) => document.getElementById(id);
let INFO = null;

async function api(path, body) {
  const response = await fetch(path, body === undefined ? {} : {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
  });
  const data = await response.json().catch(() => ({ error: `HTTP ${response.status}` }));
  if (!response.ok) throw new Error(data.error || `HTTP ${response.status}`);
  return data;
}

function say(id, text, isError = false) {
  const el = $(id);
  el.textContent = text;
  el.classList.toggle("error", isError);
}

async function busy(buttons, statusId, work) {
  buttons.forEach((b) => { b.disabled = true; });
  try {
    await work();
  } catch (e) {
    say(statusId, e.message, true);
  } finally {
    buttons.forEach((b) => { b.disabled = false; });
  }
}

// ----- tabs ---------------------------------------------------------------------------------------
document.querySelectorAll(".tab").forEach((tab) => tab.addEventListener("click", () => {
  document.querySelectorAll(".tab").forEach((t) => t.setAttribute("aria-selected", String(t === tab)));
  document.querySelectorAll(".panel").forEach((p) => { p.hidden = p.id !== `panel-${tab.dataset.tab}`; });
}));

// ----- drawing pads (mouse, touch and pen through pointer events) ---------------------------------
class Pad {
  constructor(canvas) {
    this.canvas = canvas;
    this.ctx = canvas.getContext("2d");
    this.strokes = [];
    this.current = null;
    this.ghost = [];          // the model's continuation, drawn light until the user draws on
    this.onStrokeEnd = null;  // called after the pen is lifted
    canvas.addEventListener("pointerdown", (e) => {
      canvas.setPointerCapture(e.pointerId);
      this.ghost = [];
      this.current = [this.point(e)];
      this.strokes.push(this.current);
      this.redraw();
    });
    canvas.addEventListener("pointermove", (e) => {
      if (!this.current) return;
      const events = e.getCoalescedEvents ? e.getCoalescedEvents() : [e];
      (events.length ? events : [e]).forEach((ev) => this.current.push(this.point(ev)));
      this.redraw();
    });
    const end = () => {
      const ended = this.current !== null;
      this.current = null;
      if (ended && this.onStrokeEnd) this.onStrokeEnd();
    };
    canvas.addEventListener("pointerup", end);
    canvas.addEventListener("pointercancel", end);
  }
  point(e) {
    const r = this.canvas.getBoundingClientRect();
    return [(e.clientX - r.left) * (this.canvas.width / r.width), (e.clientY - r.top) * (this.canvas.height / r.height)];
  }
  clear() { this.strokes = []; this.ghost = []; this.redraw(); }
  undo() { this.strokes.pop(); this.ghost = []; this.redraw(); }
  copy() { return this.strokes.map((s) => s.map((p) => [Math.round(p[0] * 10) / 10, Math.round(p[1] * 10) / 10])); }
  redraw() {
    const { ctx, canvas } = this;
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    drawLines(ctx, this.ghost, (p) => p, "#8fb8e8", 3);
    drawLines(ctx, this.strokes, (p) => p, "#1b1f24", 3);
  }
}

// ----- strokes to polylines, fitting and animation --------------------------------------------------
// rows: [dx, dy, flag], flag 1 = the pen lifts after this point (stroke-3 and IAM alike).
function rowsToLines(rows, yUp = false, start = [0, 0]) {
  let [x, y] = start;
  const lines = [];
  let current = [];
  rows.forEach(([dx, dy, flag]) => {
    x += dx;
    y += yUp ? -dy : dy;
    current.push([x, y]);
    if (flag > 0.5) { lines.push(current); current = []; }
  });
  if (current.length) lines.push(current);
  return { lines, end: [x, y] };
}

function fitTransform(lines, width, height, padding = 8) {
  const pts = lines.flat();
  if (!pts.length) return (p) => p;
  const xs = pts.map((p) => p[0]);
  const ys = pts.map((p) => p[1]);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const scale = Math.min((width - 2 * padding) / Math.max(x1 - x0, 1e-6), (height - 2 * padding) / Math.max(y1 - y0, 1e-6));
  const ox = (width - (x1 - x0) * scale) / 2 - x0 * scale;
  const oy = (height - (y1 - y0) * scale) / 2 - y0 * scale;
  return (p) => [p[0] * scale + ox, p[1] * scale + oy];
}

function drawLines(ctx, lines, transform, color, width) {
  ctx.strokeStyle = color;
  ctx.lineWidth = width;
  ctx.lineCap = "round";
  ctx.lineJoin = "round";
  lines.forEach((line) => {
    if (!line.length) return;
    ctx.beginPath();
    const [sx, sy] = transform(line[0]);
    ctx.moveTo(sx, sy);
    (line.length > 1 ? line : [line[0], line[0]]).forEach((p) => { const [x, y] = transform(p); ctx.lineTo(x, y); });
    ctx.stroke();
  });
}

// Draw groups [{lines, color}] point by point, as a pen would, in about `seconds`.
function animate(canvas, groups, transform, width = 2, seconds = 1.5) {
  const ctx = canvas.getContext("2d");
  const total = groups.reduce((n, g) => n + g.lines.reduce((m, l) => m + l.length, 0), 0);
  const perFrame = Math.max(1, Math.ceil(total / (60 * seconds)));
  let shown = 0;
  return new Promise((resolve) => {
    function frame() {
      shown = Math.min(total, shown + perFrame);
      ctx.clearRect(0, 0, canvas.width, canvas.height);
      let left = shown;
      for (const group of groups) {
        const partial = [];
        for (const line of group.lines) {
          if (left <= 0) break;
          partial.push(line.slice(0, left));
          left -= line.length;
        }
        drawLines(ctx, partial, transform, group.color, width);
      }
      if (shown < total) requestAnimationFrame(frame); else resolve();
    }
    frame();
  });
}

function figure(container, caption) {
  const fig = document.createElement("figure");
  const canvas = document.createElement("canvas");
  canvas.width = 200;
  canvas.height = 200;
  fig.appendChild(canvas);
  if (caption) {
    const cap = document.createElement("figcaption");
    cap.textContent = caption;
    fig.appendChild(cap);
  }
  container.appendChild(fig);
  return canvas;
}

// ----- Sketch ------------------------------------------------------------------------------------
const sketchPad = new Pad($("sketch-canvas"));
const kept = { a: null, b: null };
const sketchButtons = ["sketch-complete", "sketch-random", "sketch-reconstruct", "sketch-interpolate"].map($);

function sketchSettings() {
  return { temperature: Number($("sketch-temperature").value), num_samples: Number($("sketch-count").value),
           model: $("sketch-model").value };
}

// Reconstruct and interpolate need an encoder: shown only for conditional models.
function pickSketchModel() {
  const picked = INFO.sketch.models.find((m) => m.name === $("sketch-model").value);
  document.querySelectorAll(".conditional").forEach((el) => { el.hidden = !picked.conditional; });
}
$("sketch-model").addEventListener("change", pickSketchModel);

$("sketch-temperature").addEventListener("input", (e) => { $("sketch-temperature-value").textContent = Number(e.target.value).toFixed(2); });
$("sketch-clear").addEventListener("click", () => sketchPad.clear());
$("sketch-undo").addEventListener("click", () => sketchPad.undo());

function showDrawings(results, prefix) {
  const box = $("sketch-results");
  box.innerHTML = "";
  return Promise.all(results.map((groups, i) => {
    const canvas = figure(box, prefix ? `${prefix} ${i + 1}` : "");
    return animate(canvas, groups, fitTransform(groups.flatMap((g) => g.lines), canvas.width, canvas.height));
  }));
}

function needDrawing() {
  if (!sketchPad.strokes.length) throw new Error("Draw something on the canvas first.");
  return sketchPad.copy();
}

// "Finished" continuations: the model's first pen state after your strokes ends the drawing.
function finishedNote(drawings) {
  const finished = drawings.filter((rows) => rows.length === 0).length;
  if (!finished) return "";
  return finished === drawings.length ? " The model considers your drawing finished: it adds nothing."
    : ` In ${finished} of them the model considers your drawing finished and adds nothing.`;
}

$("sketch-complete").addEventListener("click", () => busy(sketchButtons, "sketch-status", async () => {
  const out = await api("/api/sketch/complete", { strokes: needDrawing(), ...sketchSettings() });
  const start = rowsToLines(out.start);
  say("sketch-status", `${out.drawings.length} ways to finish your drawing (grey: yours).${finishedNote(out.drawings)}`);
  await showDrawings(out.drawings.map((rows) => [
    { lines: start.lines, color: "#9aa3ad" },
    { lines: rowsToLines(rows, false, start.end).lines, color: "#1b1f24" },
  ]), "ending");
}));

$("sketch-random").addEventListener("click", () => busy(sketchButtons, "sketch-status", async () => {
  const out = await api("/api/sketch/sample", sketchSettings());
  say("sketch-status", `${out.drawings.length} drawings from the prior (seed ${out.seed}).`);
  await showDrawings(out.drawings.map((rows) => [{ lines: rowsToLines(rows).lines, color: "#1b1f24" }]), "sample");
}));

$("sketch-reconstruct").addEventListener("click", () => busy(sketchButtons, "sketch-status", async () => {
  const out = await api("/api/sketch/reconstruct", { strokes: needDrawing(), ...sketchSettings() });
  say("sketch-status", "Your drawing, encoded and decoded again.");
  const input = [{ lines: rowsToLines(out.input).lines, color: "#9aa3ad" }];
  await showDrawings([input, ...out.drawings.map((rows) => [{ lines: rowsToLines(rows).lines, color: "#1b1f24" }])]);
}));

// ----- drawing together: each time the pen lifts, the picked model continues on the same canvas ------------
let liveRequest = 0;

// The canvas position of model-unit points: the server moved the drawing to the origin and scaled it
// uniformly, so the spans of the two give the factor and the drawing's corner the offset.
function canvasTransform(strokes, startRows) {
  const pts = strokes.flat();
  const xs = pts.map((p) => p[0]);
  const ys = pts.map((p) => p[1]);
  const model = rowsToLines(startRows).lines.flat();
  const mxs = model.map((p) => p[0]);
  const mys = model.map((p) => p[1]);
  const span = Math.max(Math.max(...xs) - Math.min(...xs), Math.max(...ys) - Math.min(...ys));
  const modelSpan = Math.max(Math.max(...mxs) - Math.min(...mxs), Math.max(...mys) - Math.min(...mys));
  const k = modelSpan > 0 ? span / modelSpan : 1;
  const [ox, oy] = [Math.min(...xs) - Math.min(...mxs) * k, Math.min(...ys) - Math.min(...mys) * k];
  return (p) => [ox + p[0] * k, oy + p[1] * k];
}

async function drawTogether() {
  if (!$("sketch-live").checked || !sketchPad.strokes.length) return;
  const id = ++liveRequest;
  const strokes = sketchPad.copy();
  try {
    const out = await api("/api/sketch/complete", { strokes, ...sketchSettings(), num_samples: 1 });
    if (id !== liveRequest || sketchPad.current) return;  // the user drew on meanwhile
    const start = rowsToLines(out.start);
    const rows = out.drawings[0];
    if (!rows.length) {
      sketchPad.ghost = [];
      say("sketch-status", "The model considers your drawing finished (it adds nothing). Draw on, or pick another model.");
    } else {
      const toCanvas = canvasTransform(strokes, out.start);
      sketchPad.ghost = rowsToLines(rows, false, start.end).lines.map((line) => line.map(toCanvas));
      say("sketch-status", `Drawing together with ${$("sketch-model").value}: its continuation in blue; draw on to replace it.`);
    }
    sketchPad.redraw();
  } catch (e) {
    if (id === liveRequest) say("sketch-status", e.message, true);
  }
}
sketchPad.onStrokeEnd = drawTogether;

function keep(which) {
  kept[which] = needDrawing();
  $("sketch-kept").textContent = `kept: ${kept.a ? "A" : ""}${kept.a && kept.b ? " and " : ""}${kept.b ? "B" : ""}`;
  sketchPad.clear();
}
$("sketch-keep-a").addEventListener("click", () => { try { keep("a"); } catch (e) { say("sketch-status", e.message, true); } });
$("sketch-keep-b").addEventListener("click", () => { try { keep("b"); } catch (e) { say("sketch-status", e.message, true); } });

$("sketch-interpolate").addEventListener("click", () => busy(sketchButtons, "sketch-status", async () => {
  if (!kept.a || !kept.b) throw new Error("Draw two drawings and keep them as A and B first.");
  const out = await api("/api/sketch/interpolate",
    { a: kept.a, b: kept.b, steps: 6, temperature: 0.1, model: $("sketch-model").value });
  say("sketch-status", "From A to B through the latent space.");
  await showDrawings(out.drawings.map((rows) => [{ lines: rowsToLines(rows).lines, color: "#1b1f24" }]), "step");
}));

// ----- Handwriting -------------------------------------------------------------------------------
const hwPad = new Pad($("hw-canvas"));
$("hw-clear").addEventListener("click", () => hwPad.clear());
$("hw-bias").addEventListener("input", (e) => { $("hw-bias-value").textContent = Number(e.target.value).toFixed(1); });
let STYLES = {};  // name -> {text, strokes}: each style's own line, for the preview

function showStylePreview() {
  const style = STYLES[$("hw-style").value];
  $("hw-preview").hidden = !style;
  if (!style) return;
  const canvas = $("hw-preview-canvas");
  const { lines } = rowsToLines(style.strokes, true);
  const ctx = canvas.getContext("2d");
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  drawLines(ctx, lines, fitTransform(lines, canvas.width, canvas.height, 6), "#12233f", 1.5);
  $("hw-preview-text").textContent = `This style's own line: “${style.text}”`;
}

$("hw-style").addEventListener("change", (e) => {
  $("hw-own").hidden = e.target.value !== "__own__";
  showStylePreview();
});

function unknownCharacters(text, alphabet) {
  return [...new Set([...text].filter((c) => c !== "\n" && !alphabet.includes(c)))];
}

$("hw-write").addEventListener("click", () => busy([$("hw-write")], "hw-status", async () => {
  const text = $("hw-text").value;
  const unknown = unknownCharacters(text, INFO.handwriting.alphabet);
  if (unknown.length) {
    throw new Error(`The model cannot write: ${unknown.map((c) => `“${c}”`).join(" ")}. Remove or replace them.`);
  }
  const body = { text, bias: Number($("hw-bias").value) };
  const style = $("hw-style").value;
  if (style === "__own__") {
    if (!hwPad.strokes.length || !$("hw-own-text").value.trim()) {
      throw new Error("Write a line on the small canvas and type what it says, or pick another style.");
    }
    body.custom_style = { strokes: hwPad.copy(), text: $("hw-own-text").value.trim() };
  } else if (style) {
    body.style = style;
  }
  say("hw-status", "Writing…");
  const out = await api("/api/handwriting/write", body);
  const blob = new Blob([out.svg], { type: "image/svg+xml" });
  const link = $("hw-download");
  if (link.href) URL.revokeObjectURL(link.href);
  link.href = URL.createObjectURL(blob);
  link.hidden = false;
  const skipped = out.text_lines.filter((line, i) => out.windows[i] !== line).length;
  say("hw-status", `${out.text_lines.length} line(s) written.` +
    (skipped ? ` In ${skipped} of them the pen skipped letters (see the trace below).` : ""));
  $("hw-window").textContent = `The pen's attention went over: ${out.windows.map((w) => `“${w}”`).join(", ")}`;
  const lines = [];
  let y = 0;
  const heights = [];
  out.lines.forEach((rows) => {
    const { lines: polys } = rowsToLines(rows, true);
    const ys = polys.flat().map((p) => p[1]);
    heights.push(ys.length ? Math.max(...ys) - Math.min(...ys) : 0);
  });
  const spacing = 1.5 * (heights.slice().sort((a, b) => a - b)[Math.floor(heights.length / 2)] || 100);
  out.lines.forEach((rows) => {
    const { lines: polys } = rowsToLines(rows, true);
    const ys = polys.flat().map((p) => p[1]);
    const x0 = Math.min(...polys.flat().map((p) => p[0]));
    const top = ys.length ? Math.min(...ys) : 0;
    polys.forEach((line) => lines.push(line.map(([x, yy]) => [x - x0, yy - top + y])));
    y += spacing;
  });
  const canvas = $("hw-output");
  await animate(canvas, [{ lines, color: "#12233f" }], fitTransform(lines, canvas.width, canvas.height, 16), 2.2, 3);
}));

// ----- Text --------------------------------------------------------------------------------------
$("text-temperature").addEventListener("input", (e) => { $("text-temperature-value").textContent = Number(e.target.value).toFixed(2); });
$("text-generate").addEventListener("click", () => busy([$("text-generate")], "text-status", async () => {
  const prompt = $("text-prompt").value;
  const unknown = unknownCharacters(prompt, INFO.text.characters + "\n");
  if (unknown.length) throw new Error(`The model does not know: ${unknown.map((c) => `“${c}”`).join(" ")}.`);
  say("text-status", "Generating…");
  const out = await api("/api/text/generate", {
    prompt, steps: Number($("text-steps").value), temperature: Number($("text-temperature").value),
  });
  const pre = $("text-output");
  pre.innerHTML = "";
  const given = document.createElement("span");
  given.className = "prompt";
  given.textContent = out.text.slice(0, prompt.length);
  pre.append(given, document.createTextNode(out.text.slice(prompt.length)));
  say("text-status", "Done (grey: your prompt).");
}));

// ----- start -------------------------------------------------------------------------------------
(async () => {
  try {
    INFO = await api("/api/info");
  } catch (e) {
    say("sketch-status", `The server did not answer: ${e.message}`, true);
    return;
  }
  if (!INFO.sketch) {
    say("sketch-status", "No sketch model is loaded (serve.py --sketch_run).", true);
    sketchButtons.forEach((b) => { b.disabled = true; });
  } else {
    INFO.sketch.models.forEach((m) => {
      const option = document.createElement("option");
      option.value = m.name;
      option.textContent = m.conditional ? m.name : `${m.name} (decoder only)`;
      $("sketch-model").appendChild(option);
    });
    pickSketchModel();
  }
  const select = $("hw-style");
  if (INFO.handwriting) {
    [["", "no priming (the model's own hand)"], ...INFO.handwriting.styles.map((s) => [s, s]),
     ["__own__", "my handwriting (write a line)"]].forEach(([value, label]) => {
      const option = document.createElement("option");
      option.value = value;
      option.textContent = label;
      select.appendChild(option);
    });
    if (INFO.handwriting.styles.length) select.value = INFO.handwriting.styles[0];
    STYLES = await api("/api/handwriting/styles").catch(() => ({}));
    showStylePreview();
  } else {
    say("hw-status", "No handwriting model is loaded (serve.py --handwriting_run).", true);
    $("hw-write").disabled = true;
  }
  if (!INFO.text) {
    say("text-status", "No char-RNN is loaded (serve.py --char_run).", true);
    $("text-generate").disabled = true;
  }
  document.body.dataset.ready = "true";
})();
