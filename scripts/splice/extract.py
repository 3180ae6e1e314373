"""Writes data/splice/splice.csv from mlbench's DNA.rda (Debian's r-cran-mlbench, unpacked by scripts/splice/run.mjs).

    /usr/bin/python3 scripts/splice/extract.py DATA_DIR OUT.csv
mlbench stores the StatLog encoding: 60 positions x 3 indicator columns, A=100, C=010, G=001, T=000 (the StatLog
version dropped the 4 sequences with ambiguous bases, so every position is one of A, C, G, T). The CSV has the
sequence back as letters: `class,sequence`, class one of EI, IE, N, in the file's row order.
"""
import os, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rdata import factor_labels, read_rda  # noqa: E402

RDA = "usr/lib/R/site-library/mlbench/data/DNA.rda"
CODES = {("1", "0", "0"): "A", ("0", "1", "0"): "C", ("0", "0", "1"): "G", ("0", "0", "0"): "T"}


def main(data_dir, out):
    df = read_rda(os.path.join(data_dir, RDA))["DNA"]
    names = df.attrs["names"].value
    cols = {n: factor_labels(c) for n, c in zip(names, df.value)}
    rows = len(cols["Class"])
    lines = ["class,sequence"]
    for r in range(rows):
        bits = [cols[f"V{j + 1}"][r] for j in range(180)]
        seq = "".join(CODES[tuple(bits[3 * p:3 * p + 3])] for p in range(60))  # KeyError = a code StatLog never used
        lines.append(f"{cols['Class'][r].upper()},{seq}")
    with open(out, "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"{out}: {rows} sequences")


main(sys.argv[1], sys.argv[2])
