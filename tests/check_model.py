"""`make check-model`: retrain the sentence heads here and compare them with the committed
`scanners/sentences/data/heads.npz` exactly, array by array (the file's own bytes carry zip
timestamps). Training is deterministic on one machine; another CPU or BLAS may differ in
the last bits, which tests/test_sentence_model.py allows within a tolerance. Run it after
retraining on the machine that trained, or to see whether this one reproduces them.
Exit 0: identical; 1: which arrays differ and by how much; 2: cannot train here."""
from __future__ import annotations

import sys

import numpy as np

from scanners.sentences import model as sm


def main() -> int:
    try:
        from scanners.sentences import train
    except ImportError as e:  # scikit-learn is a dev dependency
        print(f"cannot train: {e}", file=sys.stderr)
        return 2
    if not train.DEVSET.is_file():
        print(f"cannot train: {train.DEVSET} is absent (the committed heads were trained "
              "with it)", file=sys.stderr)
        return 2
    produced = train.train()
    with np.load(sm.HEADS, allow_pickle=False) as z:
        committed = {k: z[k] for k in z.files}
    differ = []
    for k in sorted(set(committed) | set(produced)):
        if k not in committed or k not in produced:
            differ.append(f"{k}: only in {'the new' if k in produced else 'the committed'}")
        elif committed[k].shape != produced[k].shape:
            differ.append(f"{k}: shape {committed[k].shape} != {produced[k].shape}")
        elif not np.array_equal(committed[k], produced[k]):
            if committed[k].dtype.kind in "fi":
                gap = np.max(np.abs(committed[k].astype(float) - produced[k].astype(float)))
                differ.append(f"{k}: largest difference {gap:.3g}")
            else:
                differ.append(f"{k}: differs")
    for line in differ:
        print(line)
    print("heads differ from the committed ones" if differ else
          f"{sm.HEADS} is exactly what training produces here")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
