// The example page: data from two CSV files or the synthetic benchmark, training in a Web Worker
// (the page stays responsive), the graph and the target heatmap redrawn from each snapshot.
// Query parameters drive it headless (test/browser/example.test.ts): ?autostart=synth&steps=200&backend=cpu,
// &small=1 shrinks data and model (M = 4 samples, 16 hidden units) so a CI run takes seconds, and
// &logEvery=1 reports every step's loss (test/browser/webgpu.test.ts compares them with Node's).
import { csvData, generateBenchmark, progressLine, trainInWorker } from "../../dist/browser/gim.js";

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
for (const key of ["steps", "backend"]) if (params.has(key)) $(key).value = params.get(key);
/** What a test reads: the losses seen, the backend line, the data and options trained on, the final state. */
const small = params.has("small");
const run = (window.gimRun = { losses: [], backendLine: "", error: null, data: null, options: null });

function drawGraph(model) {
  const ctx = $("graph").getContext("2d");
  const d = model.variables.length;
  const at = (i) => [180 + 140 * Math.cos((2 * Math.PI * i) / d), 180 + 140 * Math.sin((2 * Math.PI * i) / d)];
  ctx.clearRect(0, 0, 360, 360);
  model.edgeProbabilities.forEach((row, i) =>
    row.forEach((p, j) => {
      if (i === j || p < 0.05) return;
      const [[x0, y0], [x1, y1]] = [at(i), at(j)];
      const a = Math.atan2(y1 - y0, x1 - x0);
      const [xe, ye] = [x1 - 18 * Math.cos(a), y1 - 18 * Math.sin(a)];
      ctx.strokeStyle = ctx.fillStyle = `rgba(20, 60, 160, ${p})`;
      ctx.lineWidth = model.graph[i][j] ? 2.5 : 1;
      ctx.beginPath();
      ctx.moveTo(x0, y0);
      ctx.lineTo(xe, ye);
      ctx.stroke();
      ctx.beginPath();
      ctx.moveTo(xe, ye);
      ctx.lineTo(xe - 9 * Math.cos(a - 0.4), ye - 9 * Math.sin(a - 0.4));
      ctx.lineTo(xe - 9 * Math.cos(a + 0.4), ye - 9 * Math.sin(a + 0.4));
      ctx.fill();
    }),
  );
  model.variables.forEach((name, i) => {
    const [x, y] = at(i);
    ctx.fillStyle = "#fff";
    ctx.strokeStyle = "#333";
    ctx.lineWidth = 1;
    ctx.beginPath();
    ctx.arc(x, y, 16, 0, 2 * Math.PI);
    ctx.fill();
    ctx.stroke();
    ctx.fillStyle = "#000";
    ctx.textAlign = "center";
    ctx.textBaseline = "middle";
    ctx.fillText(name, x, y);
  });
}

function drawTargets(model, envs) {
  const ctx = $("targets").getContext("2d");
  const rows = envs.filter((e) => e.features.some((v) => v !== 0));
  const d = model.variables.length;
  const [w, h] = [300 / d, 330 / Math.max(rows.length, 1)];
  ctx.clearRect(0, 0, 360, 360);
  ctx.fillStyle = "#000";
  ctx.textAlign = "center";
  model.variables.forEach((name, j) => ctx.fillText(name, 55 + (j + 0.5) * w, 20));
  rows.forEach((env, r) => {
    model.targetProbabilities(Array.from(env.features)).forEach((p, j) => {
      ctx.fillStyle = `rgb(${255 - 200 * p}, ${255 - 120 * p}, 255)`;
      ctx.fillRect(55 + j * w, 28 + r * h, w - 1, h - 1);
    });
    ctx.fillStyle = "#000";
    ctx.textAlign = "right";
    ctx.fillText(env.id, 52, 28 + (r + 0.6) * h);
  });
}

function train(data) {
  document.body.dataset.state = "training";
  const worker = new Worker(new URL("../../dist/browser/gim-worker.js", import.meta.url), { type: "module" });
  // replay: on webgpu the step is recorded once and replayed (no effect on cpu).
  const logEvery = Number(params.get("logEvery") ?? 10);
  const options = {
    steps: Number($("steps").value),
    backend: $("backend").value,
    snapshotEvery: 50,
    logEvery,
    replay: true,
  };
  if (small) Object.assign(options, { mcSamples: 4, gimHidden: 16, alphaLinear: 2e-2 });
  Object.assign(run, { data, options });
  const draw = (model) => {
    drawGraph(model);
    drawTargets(model, data.envs);
  };
  const job = trainInWorker(worker, data, options, {
    onLog: (line) => ($("backend-line").textContent = run.backendLine = line),
    onProgress: (p) => {
      run.losses.push(p.loss);
      $("progress").textContent = progressLine(p);
    },
    onSnapshot: draw,
  });
  $("stop").disabled = false;
  $("stop").onclick = job.stop;
  job.result
    .then((model) => {
      draw(model);
      run.graph = model.graph;
      document.body.dataset.state = "done";
    })
    .catch((error) => {
      run.error = error.message;
      $("progress").textContent = error.message;
      document.body.dataset.state = "error";
    })
    .finally(() => {
      $("stop").disabled = true;
      worker.terminate();
    });
}

function synthesize() {
  const bench = generateBenchmark({
    d: 6,
    graph: "er",
    edgesPerNode: 1,
    mechanism: "linear",
    intervention: "hard",
    perturbations: 6,
    nPerEnv: small ? 20 : 50,
    nObs: small ? 100 : 300,
    q: 6,
    seed: 0,
  });
  const envs = bench.envs.filter((e) => ["observational", "train"].includes(bench.truth.split[e.id]));
  train({ variables: bench.variables, featureNames: bench.featureNames, envs });
}

$("synth").onclick = synthesize;
$("files").onchange = async () => {
  const files = [...$("files").files];
  const samples = files.find((f) => /samples/i.test(f.name));
  const features = files.find((f) => /features/i.test(f.name));
  if (!samples || !features) return alert("pick both samples.csv and features.csv (the dataset format of the README)");
  try {
    train(csvData(await samples.text(), await features.text(), [samples.name, features.name]));
  } catch (error) {
    $("progress").textContent = error.message;
  }
};
if (params.get("autostart") === "synth") synthesize();
