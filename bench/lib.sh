# SPDX-License-Identifier: MIT
# Sourced by the benchmarks ($here: the repository). DISTILL names the binary to measure;
# without it the RelWithDebInfo build in build/ is brought up to date first (an old binary
# left there would otherwise be measured).
if [ -z "${DISTILL:-}" ]; then
    cmake -S "$here" -B "$here/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
    cmake --build "$here/build" -j2 >/dev/null
    DISTILL=$here/build/distill
fi
