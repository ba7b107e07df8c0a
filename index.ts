/** gim-webgpu: the library entry point (engine + GIM). */
export * from "./engine/index.js";
