import { webgpuBackend, webgpuUnavailable } from "../../../engine/context.js";
import { registerCommand } from "./registry.js";

registerCommand("backends", {
  summary: "list the compute backends and the WebGPU adapter",
  flags: {},
  async run() {
    console.log("backends: cpu (TypeScript reference, f32 + f64)");
    const gpu = await webgpuBackend();
    if (gpu) {
      console.log(`webgpu: available, adapter: ${gpu.description}`);
      gpu.destroy();
    } else console.log(`webgpu: NO ADAPTER — ${webgpuUnavailable()}`);
    return 0;
  },
});
