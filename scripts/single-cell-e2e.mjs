// The paper's SciPlex3 protocol (section 5, D.2) on a simulated screen: for each cell line and
// drug, hold out the drug's highest dose, then gim prep → gim train → gim eval on the held-out
// split, and print the table of docs/single-cell.md (mean distance on the held-out dose: GIM,
// observational, next-lower dose, mean-shift MLP) with wall times. Uses the built CLI (dist/).
//
//   node scripts/single-cell-e2e.mjs --screen screen.h5ad --work DIR [--steps N] [--backend B]
//        [--only A549/Belinostat,K562/Givinostat] [--dose-features paper|log|per-drug] [-- extra gim train flags]
//
// The screen's truth (screen.truth.json, from `gim synth --counts`) names the cell lines, drugs
// and doses, and the targets per drug, which are checked against the K genes prep selected.
// GIM_CLI=path/to/cli.js runs another build (e.g. a frozen copy, so that rebuilding dist/ during a
// long sweep does not mix two versions).
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const argv = process.argv.slice(2);
const cut = argv.indexOf("--");
const own = cut < 0 ? argv : argv.slice(0, cut);
const trainExtra = cut < 0 ? [] : argv.slice(cut + 1);
const flag = (name, fallback) => {
  const k = own.indexOf(`--${name}`);
  return k < 0 ? fallback : own[k + 1];
};
const screen = flag("screen");
const work = flag("work");
if (!screen || !work) {
  console.error("usage: node scripts/single-cell-e2e.mjs --screen screen.h5ad --work DIR [--steps N] [--backend B]");
  process.exit(2);
}
const steps = flag("steps", "500");
const backend = flag("backend", "auto");
const only = flag("only")?.split(",");
const doseFeatures = flag("dose-features", "paper");
const truth = JSON.parse(readFileSync(screen.replace(/\.h5ad$/, "") + ".truth.json", "utf8"));
const top = Math.max(...truth.doses);
mkdirSync(work, { recursive: true });

function gim(args, log) {
  const started = Date.now();
  const r = spawnSync(process.execPath, [process.env.GIM_CLI ?? "dist/cli.js", ...args], {
    encoding: "utf8",
    maxBuffer: 1 << 28,
    env: { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? "/tmp" },
  });
  writeFileSync(log, `$ gim ${args.join(" ")}\n${r.stdout}\n${r.stderr}`);
  if (r.status !== 0) throw new Error(`gim ${args[0]} failed (exit ${r.status}); see ${log}\n${r.stderr.slice(-2000)}`);
  return { out: r.stdout, seconds: (Date.now() - started) / 1000 };
}

const rows = [];
for (const line of truth.cellLines) {
  for (const drug of truth.drugs) {
    if (only && !only.includes(`${line}/${drug}`)) continue;
    const dir = join(work, `${line}-${drug}`);
    const data = join(dir, "data");
    const model = join(dir, "model.json");
    mkdirSync(dir, { recursive: true });
    const prep = gim(
      [
        "prep",
        "--data",
        screen,
        "--out",
        data,
        "--perturbation-key",
        "product_name",
        "--dose-key",
        "dose",
        "--control-value",
        truth.control,
        "--covariate-key",
        "cell_type",
        "--covariate",
        line,
        "--holdout",
        `${drug}@${top}`,
        "--dose-features",
        doseFeatures,
      ],
      join(dir, "prep.log"),
    );
    const genes = JSON.parse(readFileSync(join(data, "prep.json"), "utf8")).genes;
    const targets = Object.values(truth.targets).flat();
    const missed = targets.filter((g) => !genes.includes(g));
    const train = existsSync(model)
      ? { seconds: Number.NaN }
      : gim(
          ["train", "--data", data, "--out", model, "--steps", steps, "--backend", backend, ...trainExtra],
          join(dir, "train.log"),
        );
    const ev = gim(
      ["eval", "--model", model, "--data", data, "--json", "--splits", "test", "--wasserstein", "false"],
      join(dir, "eval.log"),
    );
    const report = JSON.parse(ev.out);
    const by = Object.fromEntries(report.splits.map((s) => [s.method, s]));
    const row = {
      line,
      drug,
      genes: genes.length,
      missedTargets: missed,
      seconds: { prep: prep.seconds, train: train.seconds, eval: ev.seconds },
      scores: by,
    };
    rows.push(row);
    writeFileSync(join(dir, "row.json"), JSON.stringify(row, null, 1));
    const md = (m) => by[m]?.meanDistance.toFixed(3);
    console.log(
      `${line} ${drug}: GIM ${md("GIM")} | observational ${md("observational")} | next-lower ${md("next-lower dose")} | MLP ${md("mean-shift MLP")} | targets missed ${missed.length} | prep ${prep.seconds.toFixed(0)} s, train ${train.seconds.toFixed(0)} s, eval ${ev.seconds.toFixed(0)} s`,
    );
  }
}
writeFileSync(join(work, "results.json"), JSON.stringify(rows, null, 1));

// The markdown table of docs/single-cell.md.
const methods = ["GIM", "observational", "next-lower dose", "mean-shift MLP"];
const fmt = (v) => (v === undefined || Number.isNaN(v) ? "—" : v.toFixed(3));
const lines = [
  `| cell line | held out | ${methods.map((m) => `${m} mean dist ↓`).join(" | ")} | GIM Pearson ↑ | GIM KDE-NLL ↓ |`,
  `| --- | --- | ${methods.map(() => "---:").join(" | ")} | ---: | ---: |`,
];
for (const r of rows)
  lines.push(
    `| ${r.line} | ${r.drug}@${top} | ${methods.map((m) => fmt(r.scores[m]?.meanDistance)).join(" | ")} | ${fmt(r.scores.GIM?.pearson)} | ${fmt(r.scores.GIM?.kdeNll)} |`,
  );
const avg = (m, key) => rows.reduce((s, r) => s + r.scores[m][key], 0) / rows.length;
lines.push(
  `| **average** | | ${methods.map((m) => `**${fmt(avg(m, "meanDistance"))}**`).join(" | ")} | **${fmt(avg("GIM", "pearson"))}** | **${fmt(avg("GIM", "kdeNll"))}** |`,
);
const beatsObs = rows.filter((r) => r.scores.GIM.meanDistance < r.scores.observational.meanDistance).length;
const beatsNext = rows.filter((r) => r.scores.GIM.meanDistance < r.scores["next-lower dose"].meanDistance).length;
lines.push(
  "",
  `GIM < observational in ${beatsObs} of ${rows.length}; GIM < next-lower dose in ${beatsNext} of ${rows.length}, ` +
    `on average ${fmt(avg("GIM", "meanDistance"))} vs ${fmt(avg("next-lower dose", "meanDistance"))}. ` +
    `Targets missing from the selected genes: ${rows.reduce((s, r) => s + r.missedTargets.length, 0)}.`,
);
writeFileSync(join(work, "table.md"), `${lines.join("\n")}\n`);
console.log(lines.join("\n"));
