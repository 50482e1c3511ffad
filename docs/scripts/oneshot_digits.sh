#!/usr/bin/env bash
# The oneshot figures of docs/oneshot.md: every searcher spec x 3 seeds on the embedded digits benchmark,
# one seed at a time on one CPU thread (run from the repository root). Resumable: re-running it runs only
# the seeds that are missing. Results go to results/oneshot/<spec>/ (git-ignored).
set -euo pipefail
PY=${PY:-python}
WORKERS=${WORKERS:-1}
for spec in ${SPECS:-darts-v1 gdas rsps setn enas darts-v2}; do
  /usr/bin/time -f "$spec: %e s wall" "$PY" -m nasbench_lab.cli oneshot run "specs/oneshot/$spec.toml" \
    --out "results/oneshot/$spec" --workers "$WORKERS" --threads 1 --no-progress
done
