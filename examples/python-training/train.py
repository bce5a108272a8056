"""A toy training loop reporting to runwarden through its stdlib-only Python helper.

Get the helper into your project once (`npx runwarden helper python > runwarden_reporter.py`), or
point RUNWARDEN_REPORTER_DIR at the directory `npx runwarden helper python --path` names.
Run it under runwarden: `npx runwarden start --watch -- python3 train.py --steps 20`.
"""

import argparse
import math
import os
import sys
import time

sys.path.insert(0, os.environ.get("RUNWARDEN_REPORTER_DIR", os.path.dirname(os.path.abspath(__file__))))
from runwarden_reporter import reporter  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description="a toy training loop")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--step-seconds", type=float, default=0.05)
    args = parser.parse_args()

    rw = reporter()
    rw.phase("train")
    for step in range(1, args.steps + 1):
        loss = 2.0 * math.exp(-step / 8)
        time.sleep(args.step_seconds)
        rw.progress(step=step, total=args.steps)
        rw.metric("loss", loss, step=step)
        print(f"step {step}/{args.steps} loss {loss:.4f}", flush=True)
    rw.phase("save")
    rw.checkpoint("model-final.ckpt", step=args.steps)
    print("done", flush=True)


if __name__ == "__main__":
    main()
