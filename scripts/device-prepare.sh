#!/bin/bash
# Prepares .device/ (git-ignored) for one GPU run of scripts/device-bench.sh on a lent device machine
# (/work/.library/device/README.md): that machine is bare, x86-64, has python3 with CUDA PyTorch but
# no node and no Vulkan loader, and reaches nothing outside it. So this carries, xz-compressed:
#   .device/node.tar.xz     this machine's node binary;
#   .device/webgpu.tar.xz   node_modules/webgpu with only its linux-x64 Dawn build;
#   .device/gl/*.deb        the Vulkan/GL loaders (the README's recipe);
#   .device/torch_gim.py    the PyTorch reference (../shared does not travel);
# and builds dist/. Then, with the device tool:
#   run(command="bash scripts/device-bench.sh", carry=[".device", "dist"], timeout_s=600)
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .device/gl /tmp/amd64/partial
[ "$(uname -m)" = x86_64 ] || { echo "device-prepare: node and Dawn must be x86-64 builds; this is $(uname -m)" >&2; exit 1; }
tar -cJf .device/node.tar.xz -C "$(dirname "$(readlink -f "$(command -v node)")")" node
tar -cJf .device/webgpu.tar.xz --exclude='webgpu/dist/darwin-*' --exclude='webgpu/dist/win32-*' \
  --exclude='webgpu/dist/linux-arm64' -C node_modules webgpu
cp ../shared/reference/torch_gim.py .device/
if ! ls .device/gl/*.deb >/dev/null 2>&1; then
  o='-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64'
  apt-get $o update >/dev/null
  (cd .device/gl && apt-get $o download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2)
fi
node scripts/build.mjs
du -sh .device dist
