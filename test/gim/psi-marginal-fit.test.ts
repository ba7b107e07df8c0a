/**
 * The marginal fit of ψ (gim/model/psi-marginal-fit.ts, `--psi-marginal-fit`): J_ψ against a
 * direct computation (hard and hard-ZILN, float64, with minibatch row weights), the merged step's
 * gradients against each pass objective with it on, and shift interventions refused by name.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { HostRandom } from "../../engine/host-random.js";
import { backward, noGrad, tidy } from "../../engine/index.js";
import { DEFAULTS, type GimConfig, incompatibility } from "../../gim/model/config.js";
import { uploadData } from "../../gim/model/device-data.js";
import { stepObjective } from "../../gim/model/objective.js";
import { psiMarginalFit } from "../../gim/model/psi-marginal-fit.js";
import {
  logNormal,
  logZiln,
  STEP_CONFIG,
  checkPassGradients,
  countSet,
  cpu,
  draw,
  f64,
  makeSet,
  stepInputs,
  stepScalars,
} from "./fixtures.js";

const clamp = (lambda: number, c: number) => c * Math.tanh(lambda / c);

for (const intervention of ["hard", "ziln"] as const) {
  test(`J_ψ = Σ over interventional rows of (1/R) Σ_r Σ_j L^i, every variable, row-weighted: ${intervention}`, async () => {
    const rng = new HostRandom(4);
    const d = 3;
    const R = 2;
    const sizes = [4, 3, 5];
    const set = intervention === "hard" ? makeSet(rng, d, sizes) : countSet(rng, d, sizes);
    const config: GimConfig = {
      ...DEFAULTS,
      intervention,
      noise: intervention === "ziln" ? "ziln" : "gaussian",
      psiMarginalFit: true,
    };
    const data = uploadData(set, cpu, "f64", false, Number.POSITIVE_INFINITY);
    const weights = Array.from({ length: data.N }, (_, n) => 0.5 + n / 7);
    const weighted = { ...data, rowWeights: f64(weights, [data.N]) };
    const c = intervention === "hard" ? 2 : 3;
    const E = sizes.length;
    const psi = draw(rng, E * R * c * d, (r) => r.normal());
    for (let k = 0; k < R * c * d; k++) psi[k] = 0; // env 0 is observational
    const ell = f64([0, 0, 0], [d]);
    const got = await noGrad(() => psiMarginalFit(config, weighted, f64(psi, [E, R, c * d]), ell)).item();
    let expected = 0;
    let row = 0;
    set.envs.forEach((env, e) => {
      for (let n = 0; n < env.n; n++, row++) {
        if (e === 0) continue;
        for (let r = 0; r < R; r++)
          for (let j = 0; j < d; j++) {
            const at = (k: number) => psi[(e * R + r) * c * d + k * d + j];
            const x = env.samples[n * d + j];
            const L =
              intervention === "hard"
                ? logNormal(x, at(0), 2 * clamp(at(1), config.logStdClamp))
                : logZiln(x, at(1), 2 * clamp(at(2), config.logStdClamp), at(0));
            expected += (weights[row] * L) / R;
          }
      }
    });
    if (!(Math.abs(got - expected) <= 1e-9 * Math.max(1, Math.abs(expected))))
      throw new Error(`J_ψ = ${got}, direct computation ${expected}`);
  });
}

test("with --psi-marginal-fit the merged step's gradients match each pass objective (f64, linear hard)", async () => {
  const rng = new HostRandom(12);
  const config: GimConfig = { ...DEFAULTS, ...STEP_CONFIG, powerIterations: 200, psiMarginalFit: true };
  const set = makeSet(rng, 3, [6, 4, 4]);
  const inputs = stepInputs(config, set);
  const scalars = stepScalars(config);
  tidy(() => backward(stepObjective(inputs, scalars).loss));
  await checkPassGradients(inputs, scalars, rng);
  // It trains ψ's networks and nothing else: the loss moves, Z's and θ's gradients do not.
  const plain = stepInputs({ ...config, psiMarginalFit: false }, set);
  tidy(() => backward(stepObjective(plain, scalars).loss));
  for (const name of ["U", "V", "Theta", "f.W2"]) {
    const a = await inputs.params.tensors.get(name)!.grad!.toArray();
    const b = await plain.params.tensors.get(name)!.grad!.toArray();
    assert.equal(Array.from(a), Array.from(b), `${name}'s gradient changed`);
  }
  const a = await inputs.params.tensors.get("hMean.W2")!.grad!.toArray();
  const b = await plain.params.tensors.get("hMean.W2")!.grad!.toArray();
  assert.not.equal(Array.from(a), Array.from(b), "hMean's gradient did not change");
});

test("--psi-marginal-fit refuses shift interventions, naming both flags", () => {
  const message = incompatibility({ ...DEFAULTS, intervention: "shift", psiMarginalFit: true });
  assert.ok(message && /--psi-marginal-fit/.test(message) && /shift/.test(message), String(message));
  assert.is(incompatibility({ ...DEFAULTS, psiMarginalFit: true }), null);
});

test.run();
