// The reference for tests/test_sketch_convert.py: @magenta/sketch (magenta's own JavaScript
// Sketch-RNN) run in Node.js. Usage: node magenta_sketch_reference.js MODEL_URL STROKES_JSON
// STROKES_JSON holds stroke-5 rows [dx, dy, p1, p2, p3] in the model's data units. Prints JSON:
// for every row t, the mixture getPDF(state, 1, 1) gives after the start token and rows 0..t-1
// (no temperature): {"pi", "mu1", "mu2", "sigma1", "sigma2", "corr", "pen"}: [T][M] / [T][3].
const fs = require('fs');
console.log = console.info = console.warn = () => {};  // the library's chatter; only the JSON goes to stdout
const sketch = require('@magenta/sketch');

async function main() {
  const [url, strokesFile] = process.argv.slice(2);
  const strokes = JSON.parse(fs.readFileSync(strokesFile, 'utf8'));
  const model = new sketch.SketchRNN(url);
  await model.initialize();
  model.setPixelFactor(1.0);  // inputs in data units: divided by info.scale_factor
  const m = model.NMIXTURE;
  const out = {pi: [], mu1: [], mu2: [], sigma1: [], sigma2: [], corr: [], pen: []};
  let state = model.zeroState();
  let input = model.zeroInput();
  for (let t = 0; t < strokes.length; t++) {
    state = model.update(input, state);
    const pdf = model.getPDF(state, 1.0, 1.0);
    out.pi.push(Array.from(pdf.pi));
    out.mu1.push(Array.from(pdf.muX));
    out.mu2.push(Array.from(pdf.muY));
    out.sigma1.push(Array.from(pdf.sigmaX));
    out.sigma2.push(Array.from(pdf.sigmaY).slice(0, m));  // getPDF's sigmaY slice runs past M
    out.corr.push(Array.from(pdf.corr));
    out.pen.push(Array.from(pdf.pen));
    input = strokes[t];
  }
  process.stdout.write(JSON.stringify(out));
}

main().catch((e) => { console.error(e.stack || String(e)); process.exit(1); });
