/** Sweep: every op in the registry, webgpu vs cpu in float32, forward and VJP. */
import { test } from "uvu";
import { HostRandom, drawCase, drawInput, runForwardAndVjp, scaledMaxError } from "../engine/gradcheck.js";
import { allOps } from "../kernels/index.js";
import { eachDevice, exitWhenDone } from "./helpers.js";

const { cpu, webgpu } = await eachDevice("parity");
const ops = allOps();
let cases = 0;
for (const [name, op] of ops) {
  op.check.cases.forEach((c, k) => {
    cases++;
    webgpu.test(`${name} [${c.label ?? k}] webgpu = cpu (f32, forward + VJP)`, async () => {
      const values = drawCase(c, 2000 + k);
      const cpuOut = await runForwardAndVjp(op, c, values, null, cpu.backend, "f32");
      const u = drawInput(new HostRandom(99 + k), cpuOut.out.length);
      const ref = await runForwardAndVjp(op, c, values, u, cpu.backend, "f32");
      const got = await runForwardAndVjp(op, c, values, u, webgpu.backend, "f32");
      const tol = op.check.parityTol ?? 1e-4;
      const errOut = scaledMaxError(got.out, ref.out);
      if (!(errOut <= tol)) throw new Error(`${name}: forward differs, scaled error ${errOut} > ${tol}`);
      ref.grads.forEach((g, i) => {
        if (!g) return;
        const e = scaledMaxError(got.grads[i] ?? [], g);
        if (!(e <= tol))
          throw new Error(
            `${name}: VJP of input ${i} ${JSON.stringify(c.shapes[i])} differs, scaled error ${e} > ${tol}`,
          );
      });
    });
  });
}
console.log(
  `[sweep] parity: ${ops.length} ops, ${cases} cases (float32, webgpu vs cpu, scaled tol 1e-4 unless an op says otherwise)`,
);
exitWhenDone();
test.run();
