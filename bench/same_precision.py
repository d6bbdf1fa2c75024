"""Static alone and the cascade against MiniLM at the same precision, from bench/static_cascade.py's tables.

    python bench/static_cascade.py --split heldout --candidate-gap 0.15 --accept-gap 0.05 \\
        --thresholds 0.75 0.78 0.8 0.82 0.84 0.85 0.86 0.88 0.9 0.92 0.94 > heldout.txt
    python bench/same_precision.py heldout.txt

For each MiniLM threshold: the best recall of static alone and of the cascade at any of
the table's thresholds whose precision is at least MiniLM's there.
"""

from __future__ import annotations

import sys
from pathlib import Path

#: (threshold, precision, recall) rows of one way.
Rows = list[tuple[float, float, float]]


def read_table(path: Path) -> dict[str, Rows]:
    """The rows of each way (MiniLM, static, cascade) in one printed table."""
    data: dict[str, Rows] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        tok = line.split()
        if len(tok) < 6 or "." not in tok[0] or not tok[0].replace(".", "").isdigit():
            continue
        k = 3 if tok[1] == "cascade" else 2  # the cascade's name is two words
        if not tok[k].isdigit():
            continue
        name = "cascade" if k == 3 else tok[1]
        data.setdefault(name, []).append((float(tok[0]), float(tok[k + 2]), float(tok[k + 3])))
    return data


def main(argv: list[str]) -> int:
    for path in argv:
        data = read_table(Path(path))
        print(path)
        for t, p, rc in data["MiniLM"]:
            line = f"  MiniLM t={t:.2f} P={p:.3f} R={rc:.3f}"
            for other in ("static", "cascade"):
                ok = [(r2, t2, p2) for t2, p2, r2 in data.get(other, []) if p2 >= p - 1e-9]
                if ok and rc:
                    r2, t2, p2 = max(ok)
                    line += f" | {other}: R={r2:.3f} ({r2 / rc:.0%}) at t={t2:.2f} P={p2:.3f}"
                else:
                    line += f" | {other}: none at this precision"
            print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
