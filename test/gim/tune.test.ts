/**
 * `gim tune` and `gim train --restarts` (cpu, tiny data, few steps): the perturbation grouping,
 * the search space, a search end to end with the held-out perturbation never trained on,
 * selection of the best validation score, interleaved trainings equal to sequential ones, and
 * restarts keeping the best-scoring seed.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { cpuBackend } from "../../engine/context.js";
import { type Dataset, trainingSubset, writeDataset } from "../../gim/data/dataset.js";
import { perturbationGroups, perturbationOfId } from "../../gim/data/perturbation-groups.js";
import { DEFAULTS, type GimConfig } from "../../gim/model/config.js";
import { bestTrial, chooseHoldout, tune } from "../../gim/eval/tune.js";
import { defaultSpace, drawTrials, parseParam } from "../../gim/eval/tune-space.js";
import { trialsCsv } from "../../gim/eval/tune-table.js";
import { fit } from "../../gim/train/fit.js";
import { type RestartsResult, VOTE_REFIT_STEPS, fitRestarts, restartRecord } from "../../gim/train/restarts.js";
import { nearestRestart, voteGraph } from "../../gim/train/restart-vote.js";
import { Trainer } from "../../gim/train/trainer.js";
import { modelFromTrainer } from "../../gim/train/export-model.js";
import { type ModelFile, loadModel } from "../../gim/model/model-file.js";
import { isAcyclic } from "../../gim/graph/dag.js";
import { exitWhenDone, gpuOrSkip, gpuTest, scratchDir } from "../helpers.js";
import { tinyBenchmark } from "./fixtures.js";

const cpu = cpuBackend();
const gpu = await gpuOrSkip("tune");
const data: Dataset = tinyBenchmark(4, { perturbations: 3 });
const config: GimConfig = {
  ...DEFAULTS,
  steps: 12,
  mcSamples: 4,
  acyclicitySamples: 4,
  gimHidden: 8,
  alSteps: 10,
  logEvery: 5,
};
const quiet = () => {};
/** The model of restarts that ran to the end. */
const finished = (result: RestartsResult): ModelFile => {
  assert.ok(!result.stoppedEarly && result.model);
  return result.model;
};

test("env ids name their perturbation: the three generators' dose tags, and truth agrees on gim synth data", () => {
  for (const [id, group] of [
    ["tr3_d0.5", "tr3"],
    ["train3_s1", "train3"],
    ["p12_s0.75", "p12"],
    ["drugA_10uM", "drugA"],
    ["A549_dex_1e-3", "A549_dex"],
    ["single", "single"],
  ])
    assert.is(perturbationOfId(id), group, id);
  const ids = trainingSubset(data)
    .envs.filter((e) => !e.observational)
    .map((e) => e.id);
  const byName = [...perturbationGroups(data, ids, "name").values()];
  const byTargets = [...perturbationGroups(data, ids, "targets").values()];
  assert.equal(byName, byTargets);
  assert.is(byName.length, 3);
  assert.is(perturbationGroups(data, ids, "env").size, ids.length);
});

test("search space: ranges, choices and fixed values; draws stay inside and repeat per seed; bad specs name the flag", () => {
  const space = [parseParam("lr", "tune-lr", "1e-3:1e-2"), parseParam("gimHidden", "tune-gim-hidden", "8,16")];
  const trials = drawTrials(space, "random", 20, 3);
  for (const t of trials) {
    assert.ok(t.lr! >= 1e-3 && t.lr! <= 1e-2, String(t.lr));
    assert.ok([8, 16].includes(t.gimHidden!));
  }
  assert.equal(drawTrials(space, "random", 20, 3), trials);
  const grid = drawTrials(space, "grid", 100, 3, 3);
  assert.is(grid.length, 6);
  assert.equal(new Set(grid.map((t) => t.lr)), new Set([0.001, 0.00316, 0.01]));
  assert.is(defaultSpace(DEFAULTS).steps, "1000,2000");
  assert.throws(() => parseParam("lr", "tune-lr", "a:b"), /--tune-lr: 'a' is not a number/);
  assert.throws(() => parseParam("lr", "tune-lr", "3:1"), /--tune-lr: the range '3:1' needs lo < hi/);
  assert.throws(() => parseParam("steps", "tune-steps", "10.5"), /--tune-steps: 10.5 is not an integer/);
  assert.throws(() => parseParam("lambdaGraph", "tune-lambda-graph", "0,1"), /must be positive/);
});

test("holdout: a named perturbation or a seeded draw; one group only, or an unknown name, is an error", () => {
  const h = chooseHoldout(data, "name", undefined, 0, "p1");
  assert.equal(h.envs, ["p1_s0.5", "p1_s1", "p1_s2", "p1_s4"]);
  assert.equal(chooseHoldout(data, "name", undefined, 5), chooseHoldout(data, "name", undefined, 5));
  assert.throws(() => chooseHoldout(data, "name", undefined, 0, "zz"), /--holdout-group 'zz' is not a training/);
  const one = new Map(data.envs.map((e) => [e.id, "all"]));
  assert.throws(() => chooseHoldout(data, "name", one, 0), /form 1 perturbation group \('all'\)/);
});

test("a tiny search runs end to end: the held-out perturbation is in no trial's training set; the best score wins", async () => {
  const space = [parseParam("lr", "tune-lr", "5e-3:2e-2"), parseParam("gimHidden", "tune-gim-hidden", "8,16")];
  const options = { space, search: "random" as const, trials: 3, budgetSeconds: Infinity, gridPoints: 3 };
  const rest = { parallel: 2, groupBy: "name" as const, holdoutGroup: "p0", nPredict: 50, log: quiet };
  const result = await tune(data, config, cpu, { ...options, ...rest });
  assert.is(result.rows.length, 3);
  assert.equal(result.heldOutEnvs, ["p0_s0.5", "p0_s1", "p0_s2", "p0_s4"]);
  for (const row of result.rows) {
    assert.ok(Number.isFinite(row.validationKdeNll));
    assert.is(row.trainEnvs.length, 9, "observational + 8 envs of p1 and p2");
    for (const id of result.heldOutEnvs) assert.not.ok(row.trainEnvs.includes(id), id);
  }
  const scores = result.rows.map((r) => r.validationKdeNll);
  assert.is(result.rows[result.chosen].validationKdeNll, Math.min(...scores));
  assert.is(result.rows.filter((r) => r.chosen).length, 1);
  // The final model trains on every training env, the held-out perturbation's too.
  for (const id of result.heldOutEnvs) assert.ok(result.model.trainEnvs.includes(id));
  assert.equal(result.model.config.lr, result.rows[result.chosen].params.lr);
  assert.is(trialsCsv(result, ["lr", "gimHidden"]).trim().split("\n").length, 4);

  // Known scores through the seam: the lowest wins, wherever it is.
  const injected = [7, 2, 5];
  const seamed = await tune(data, { ...config, steps: 5 }, cpu, {
    ...options,
    ...rest,
    parallel: 1,
    score: (_model, _envs, k) => injected[k],
  });
  assert.is(seamed.rows[seamed.chosen].trial, 1);
  assert.is(bestTrial(seamed.rows), 1);
});

test("selection skips failed trials; all failed is an error", () => {
  const row = { params: {}, wallSeconds: 1, finalAcyclicity: 0, edges: 0, trainEnvs: [], chosen: false };
  const rows = [Number.NaN, 3, 1, Number.NaN].map((v, trial) => ({ ...row, trial, validationKdeNll: v }));
  assert.is(bestTrial(rows), 2);
  assert.throws(() => bestTrial([rows[0]]), /none of the 1 trials finished/);
});

test("restarts keep the best holdout log-likelihood; interleaved equals sequential; restart 0 equals a plain run", async () => {
  const interleaved = finished(await fitRestarts(data, config, cpu, { restarts: 3, parallel: 3, log: quiet }));
  const sequential = finished(await fitRestarts(data, config, cpu, { restarts: 3, parallel: 1, log: quiet }));
  const r = interleaved.restarts!;
  assert.equal(r.holdoutLogLikelihood, sequential.restarts!.holdoutLogLikelihood);
  assert.equal(interleaved.weights, sequential.weights);
  assert.is(r.holdoutLogLikelihood[r.chosen], Math.max(...r.holdoutLogLikelihood));
  assert.is(interleaved.seed, r.seeds[r.chosen]);
  assert.equal(r.seeds, [0, 1, 2]);
  assert.is(r.edgesDifferingFromSeed0[0], 0);
  assert.equal(r.finalLoss, sequential.restarts!.finalLoss);
  const one = finished(await fitRestarts(data, config, cpu, { restarts: 1, parallel: 1, log: quiet }));
  const plain = await fit(data, config, cpu, { quiet: true, log: quiet });
  assert.equal(one.weights, plain.model.weights);
  // Each restart's recorded −J/N is its last step's loss: restart 0's is the plain run's.
  assert.is(one.restarts!.finalLoss![0], plain.model.history!.loss.at(-1));
  assert.ok(r.finalLoss!.every(Number.isFinite));
});

gpuTest(gpu)("webgpu: interleaved trainings (replayed steps) give the same models as one at a time", async () => {
  const options = { restarts: 2, replay: true, log: quiet };
  const short = { ...config, steps: 5 };
  const together = finished(await fitRestarts(data, short, gpu!, { ...options, parallel: 2 }));
  const alone = finished(await fitRestarts(data, short, gpu!, { ...options, parallel: 1 }));
  assert.equal(together.restarts!.holdoutLogLikelihood, alone.restarts!.holdoutLogLikelihood);
  assert.equal(together.weights, alone.weights);
});

test("graph vote: strict majority, a tie (K even) drops the edge, a majority cycle loses its least-voted edge", () => {
  /** A 3-node graph from its edges, "01 12" = 0 → 1, 1 → 2. */
  const g = (edges: string) => {
    const m = [0, 1, 2].map(() => [0, 0, 0]);
    for (const e of edges.split(" ").filter(Boolean)) m[Number(e[0])][Number(e[1])] = 1;
    return m;
  };
  const p = (value: number) => [0, 1, 2].map((i) => [0, 1, 2].map((j) => (i === j ? 0 : value)));
  // 0→1 in 3 of 4 (kept), 1→2 in 2 of 4 (a tie: dropped).
  const even = voteGraph([g("01 12"), g("01 12"), g("01"), g("")], [p(0.2), p(0.4), p(0.6), p(0.8)]);
  assert.equal(even.graph, g("01"));
  assert.is(even.votes[0][1], 3);
  assert.is(even.votes[1][2], 2);
  assert.ok(Math.abs(even.edgeProbabilities[0][1] - 0.5) < 1e-12);
  assert.is(even.cycleEdgesDropped, 0);
  // 0→1 (5 votes), 1→2 (4), 2→0 (3) all win their majority and close a cycle: 2→0 goes.
  const five = [g("01 12 20"), g("01 12 20"), g("01 12 20"), g("01 12"), g("01")];
  const cycle = voteGraph(
    five,
    five.map(() => p(0.5)),
  );
  assert.equal(cycle.graph, g("01 12"));
  assert.is(cycle.cycleEdgesDropped, 1);
  // Equal votes: the lower mean probability loses.
  const probs = p(0.9);
  probs[1][2] = 0.6;
  assert.equal(voteGraph([g("01 12 20")], [probs]).graph, g("01 20"));
  // The restart refitted: the nearest graph, ties to the better score, failed ones skipped.
  const vote = g("01");
  assert.is(nearestRestart([g("01 12"), g("12"), g("01 20"), vote], [-1, -1, -0.5, Number.NaN], vote), 2);
  assert.throws(() => voteGraph([], []), /at least one graph/);
});

test("restarts, vote: the kept model is the restart nearest to the majority vote, as that seed's plain run", async () => {
  const model = finished(await fitRestarts(data, config, cpu, { restarts: 3, parallel: 3, graph: "vote", log: quiet }));
  const r = model.restarts!;
  assert.is(r.graphChoice, "vote");
  const vote = r.vote!;
  assert.is(vote.refit, undefined);
  assert.equal(
    vote.votes,
    voteGraph(
      r.graphs as number[][][],
      r.graphs.map(() => model.edgeProbabilities),
    ).votes,
  );
  assert.is(r.chosen, nearestRestart(r.graphs, r.holdoutLogLikelihood, vote.graph));
  assert.equal(model.graph, r.graphs[r.chosen]);
  const differ = model.graph.flat().filter((v, k) => v !== vote.graph.flat()[k]).length;
  assert.is(vote.keptDiffersInEntries, differ);
  const plain = await fit(data, { ...config, seed: model.seed, holdoutSeed: config.seed }, cpu, {
    quiet: true,
    log: quiet,
  });
  assert.equal(model.weights, plain.model.weights);
});

test("restarts, vote-refit: the model's graph is the vote, refitted from the nearest restart's state as one run would", async () => {
  const voting = { ...config, refitSteps: 4 };
  const options = { restarts: 3, parallel: 3, graph: "vote-refit", log: quiet } as const;
  const model = finished(await fitRestarts(data, voting, cpu, options));
  const r = model.restarts!;
  assert.is(r.graphChoice, "vote-refit");
  const vote = r.vote!;
  assert.equal(model.graph, vote.graph);
  assert.ok(isAcyclic(model.graph));
  assert.is(model.steps, voting.steps + 4);
  assert.is(vote.refit!.steps, 4);
  assert.is(vote.refit!.seed, r.seeds[r.chosen]);
  assert.ok(Number.isFinite(vote.refit!.holdoutLogLikelihood));
  assert.is(r.chosen, nearestRestart(r.graphs, r.holdoutLogLikelihood, vote.graph));
  // The same by hand: the kept seed's main phase, pinned to the vote, refitted.
  const trainer = new Trainer(
    { ...voting, seed: vote.refit!.seed, holdoutSeed: voting.seed },
    trainingSubset(data),
    cpu,
  );
  await trainer.train({ stopAt: voting.steps });
  await trainer.pinGraph(vote.graph);
  await trainer.train();
  const byHand = await modelFromTrainer(trainer, { stepsPerSecond: 0, wallSeconds: 0 });
  trainer.dispose();
  assert.equal(model.weights, byHand.weights);
  // Without a configured refit the vote refits for VOTE_REFIT_STEPS.
  const short = finished(await fitRestarts(data, { ...config, steps: 3 }, cpu, { ...options, restarts: 2 }));
  assert.is(short.steps, 3 + VOTE_REFIT_STEPS);
});

test("restart record: the best finite score wins; graph differences are counted against seed 0", () => {
  const g0 = [
    [0, 1],
    [0, 0],
  ];
  const g1 = [
    [0, 0],
    [1, 0],
  ];
  const extra = { finalAcyclicity: [0, 0, 0], wallSeconds: 1, parallel: 1 };
  const r = restartRecord([4, 5, 6], [g0, g1, null], [-3, -2, Number.NaN], extra);
  assert.is(r.chosen, 1);
  assert.is(r.chosenSeed, 5);
  assert.equal(r.edgesDifferingFromSeed0, [0, 2, null]);
  assert.ok(r.graphsDiffer && r.winnerGraphDiffersFromSeed0);
  const same = restartRecord([0, 1], [g0, g0], [-1, -2], { ...extra, finalAcyclicity: [0, 0] });
  assert.ok(!same.graphsDiffer && !same.winnerGraphDiffersFromSeed0 && same.chosen === 0);
  assert.throws(() => restartRecord([0], [null], [Number.NaN], extra), /all 1 restarts failed/);
});

test("bad arguments of gim tune and gim train --restarts give clear errors", () => {
  const dir = scratchDir("gim-tune-");
  writeDataset(join(dir, "data"), data);
  const gim = (...args: string[]) => {
    const cli = join(process.env.GIM_BUILD_DIR ?? ".", "dist", "cli.js");
    const r = spawnSync(process.execPath, [cli, ...args], { encoding: "utf8", timeout: 60_000 });
    return { code: r.status, err: r.stderr };
  };
  const tuneArgs = ["tune", "--data", join(dir, "data"), "--out", join(dir, "t"), "--backend", "cpu"];
  const cases: [string[], RegExp][] = [
    [[...tuneArgs, "--tune-lr", "1e-2:x"], /--tune-lr: 'x' is not a number/],
    [[...tuneArgs, "--tune-steps", "100:10"], /--tune-steps: the range '100:10' needs lo < hi/],
    [[...tuneArgs, "--trials", "0"], /--trials: 0 is below the minimum 1/],
    [[...tuneArgs, "--search", "bayes"], /--search: 'bayes' is not one of random, grid/],
    [[...tuneArgs, "--amortize", "false"], /--amortize false \(BaCaDI\*\) cannot predict the held-out/],
    [
      [...tuneArgs, "--holdout-group", "nope"],
      /--holdout-group 'nope' is not a training perturbation; the groups are: p0, p1, p2/,
    ],
    [[...tuneArgs, "--groups", join(dir, "missing.csv")], /missing.csv: cannot read file/],
    [["train", "--data", join(dir, "data"), "--out", join(dir, "m.json"), "--restarts", "0"], /--restarts: 0 is below/],
    [
      ["train", "--data", join(dir, "data"), "--out", join(dir, "m.json"), "--restarts", "2", "--resume"],
      /--resume continues one training; it cannot be combined with --restarts/,
    ],
    [
      [
        "train",
        "--data",
        join(dir, "data"),
        "--out",
        join(dir, "m.json"),
        "--restarts",
        "2",
        "--restart-graph",
        "mean",
      ],
      /--restart-graph: 'mean' is not one of best, vote, vote-refit/,
    ],
  ];
  for (const [args, message] of cases) {
    const r = gim(...args);
    assert.ok(r.code !== 0, args.join(" "));
    assert.match(r.err, message);
  }
});

test("gim train --restarts 2 --restart-graph vote-refit writes the voted, refitted model and says so", () => {
  const dir = scratchDir("gim-vote-");
  writeDataset(join(dir, "data"), data);
  const out = join(dir, "m.json");
  const cli = join(process.env.GIM_BUILD_DIR ?? ".", "dist", "cli.js");
  const args = ["train", "--data", join(dir, "data"), "--out", out, "--backend", "cpu", "--steps", "4"];
  args.push("--mc-samples", "4", "--refit-steps", "3", "--restarts", "2", "--restart-graph", "vote-refit");
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: "utf8", timeout: 120_000 });
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stderr, /the model's graph is their majority vote, with \d+ edges \(\d+ dropped to break cycles\)/);
  const model = loadModel(out);
  assert.is(model.restarts!.graphChoice, "vote-refit");
  assert.equal(model.graph, model.restarts!.vote!.graph);
  assert.is(model.steps, 7);
});

test.run();
exitWhenDone();
