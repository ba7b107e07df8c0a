#!/bin/bash
# The GPU figures of issue #11 in one device run (prepare with scripts/device-prepare.sh, then
# run(command="bash scripts/device-bench.sh", carry=[".device", "dist"], timeout_s=600)):
# Dawn on Vulkan on the NVIDIA GPU runs `npm run bench -- gim` (every row, within --budget-s) and
# the engine suite, then scripts/bench-reference.mjs runs our rows beside the PyTorch reference on
# CUDA. Everything it writes goes to $OUT (the tool brings it back): gim.json, gim.log,
# engine.log, reference.md, gpu.txt. Each part is limited in time so that one run fits in 10 min.
# On a machine without $OUT (a dry run here on lavapipe) it writes to ./out/device.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-out/device}
mkdir -p "$OUT"
if [ -d .device/gl ] && ! ldconfig -p | grep -q libvulkan; then
  for f in .device/gl/*.deb; do dpkg -x "$f" /; done
  ldconfig
fi
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] &&
  export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
if ! command -v node >/dev/null; then
  mkdir -p /tmp/node && tar -xJf .device/node.tar.xz -C /tmp/node && export PATH=/tmp/node:$PATH
fi
[ -d node_modules/webgpu ] || { mkdir -p node_modules && tar -xJf .device/webgpu.tar.xz -C node_modules; }
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp}
device=cpu
python3 -c 'import torch; assert torch.cuda.is_available()' 2>/dev/null && device=cuda
{ nvidia-smi 2>&1 | head -15; node --version; echo "reference device: $device"; } > "$OUT/gpu.txt"

timeout 240 node dist/bench.js gim --json --budget-s=200 > "$OUT/gim.json" 2> "$OUT/gim.log"
echo "gim suite: exit $?" >> "$OUT/gpu.txt"
timeout 90 node dist/bench.js engine > "$OUT/engine.log" 2>&1
echo "engine suite: exit $?" >> "$OUT/gpu.txt"
timeout 200 node scripts/bench-reference.mjs --device "$device" --python python3 --reference .device/torch_gim.py \
  --configs "10 linear,default,20 linear,20 mlp,50 mlp" --reference-steps 100 --budget-s 20 > "$OUT/reference.md" 2>&1
echo "reference: exit $?" >> "$OUT/gpu.txt"
cat "$OUT/gpu.txt" "$OUT/reference.md"
grep -h "gim-step\|gim-train\|skipped\|dispatch chain" "$OUT/gim.log" "$OUT/engine.log"
