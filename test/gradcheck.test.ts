/** Sweep: every differentiable op in the registry, float64 VJP check on the cpu backend. */
import { test } from "uvu";
import { cpuBackend } from "../engine/context.js";
import { checkVjp } from "../engine/gradcheck.js";
import { allOps } from "../kernels/index.js";

const ops = allOps().filter(([, op]) => typeof op.vjp === "function");
let cases = 0;
for (const [name, op] of ops) {
  op.check.cases.forEach((c, k) => {
    cases++;
    test(`${name} [${c.label ?? k}] ⟨v, VJP(u)⟩ = ⟨JVP_fd(v), u⟩ in f64`, async () => {
      const result = await checkVjp(op, c, cpuBackend(), 1000 + k);
      if (!result.ok) {
        throw new Error(
          `${name}: VJP side ${result.vjpSide}, finite-difference side ${result.fdSide}, relative error ${result.error.toExponential(2)}`,
        );
      }
    });
  });
}
console.log(
  `[sweep] gradient check: ${ops.length} differentiable ops, ${cases} cases (float64, cpu, h = 1e-5, rel. tol 1e-6 unless an op says otherwise)`,
);
test.run();
