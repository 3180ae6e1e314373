"""Trains edgenn's demonstration splice-junction model, a small 1-D CNN, and exports it to ONNX.

    /usr/bin/python3 scripts/splice/train.py OUT_DIR        (run by scripts/splice/run.mjs)
Reads data/splice/splice.csv; writes data/splice/split.json (the fixed, stratified, seeded held-out split),
data/splice/torch-reference.json (PyTorch's predictions on the held-out set, for test/models/splice.test.mjs)
and OUT_DIR/splice-cnn.onnx. Deterministic: seeded, one thread, no timestamps.

Input: [batch, 4, 60], one-hot over channels A, C, G, T; any other letter (N and the IUPAC ambiguity codes) is
0.25 in every channel ("some base"). The data set has none: StatLog dropped the 4 sequences with ambiguous bases.
Output: softmax probabilities of EI (exon/intron boundary, donor), IE (intron/exon boundary, acceptor), N.
"""
import json, os, sys

import numpy as np
import torch
import torch.nn as nn

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.path.join(REPO, "data/splice")
CLASSES = ["EI", "IE", "N"]
SPLIT_SEED, INIT_SEED, TEST_FRACTION = 20240611, 1234, 0.2
EPOCHS, BATCH, LR, WEIGHT_DECAY = 40, 64, 1e-3, 1e-4
OPSET = 13


def read_csv():
    with open(os.path.join(DATA, "splice.csv")) as f:
        rows = [line.strip().split(",") for line in f][1:]
    return [r[1] for r in rows], np.array([CLASSES.index(r[0]) for r in rows])


def one_hot(seqs):
    x = np.full((len(seqs), 4, 60), 0.0, dtype=np.float32)
    for i, s in enumerate(seqs):
        for p, base in enumerate(s):
            j = "ACGT".find(base)
            if j >= 0:
                x[i, j, p] = 1.0
            else:
                x[i, :, p] = 0.25
    return x


def stratified_split(y):
    """Per class, a seeded permutation; the first round(20%) of each class are held out."""
    rng = np.random.RandomState(SPLIT_SEED)
    test = []
    for c in range(len(CLASSES)):
        members = np.flatnonzero(y == c)
        test.extend(rng.permutation(members)[: int(round(TEST_FRACTION * len(members)))].tolist())
    test = sorted(test)
    train = sorted(set(range(len(y))) - set(test))
    return train, test


class SpliceCnn(nn.Module):
    """Two conv blocks keep the position of each motif (no global pooling: where GT/AG sits matters), then a
    small dense head. About 22 k parameters."""

    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv1d(4, 32, 7, padding=3), nn.ReLU(), nn.MaxPool1d(2),   # 60 -> 30
            nn.Conv1d(32, 32, 5, padding=2), nn.ReLU(), nn.MaxPool1d(2),  # 30 -> 15
            nn.Flatten(), nn.Dropout(0.3), nn.Linear(32 * 15, 32), nn.ReLU(), nn.Dropout(0.3), nn.Linear(32, 3))

    def forward(self, x):
        return self.net(x)


class WithSoftmax(nn.Module):
    """What is exported: probabilities, so that explanations read as the drop in a class's probability."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        return torch.softmax(self.model(x), dim=1)


def main(out_dir):
    torch.manual_seed(INIT_SEED)
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    seqs, y = read_csv()
    train, test = stratified_split(y)
    x = torch.from_numpy(one_hot(seqs))
    yt = torch.from_numpy(y)
    model = SpliceCnn()
    opt = torch.optim.Adam(model.parameters(), lr=LR, weight_decay=WEIGHT_DECAY)
    loss_fn = nn.CrossEntropyLoss()
    order_rng = np.random.RandomState(INIT_SEED)
    for epoch in range(EPOCHS):
        model.train()
        order = order_rng.permutation(train)
        total = 0.0
        for b in range(0, len(order), BATCH):
            idx = torch.from_numpy(order[b:b + BATCH])
            opt.zero_grad()
            loss = loss_fn(model(x[idx]), yt[idx])
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        if epoch % 10 == 9 or epoch == EPOCHS - 1:
            print(f"epoch {epoch + 1}: train loss {total / len(train):.4f}", flush=True)

    model.eval()
    exported = WithSoftmax(model).eval()
    with torch.no_grad():
        probs = exported(x[test]).numpy()
    pred = probs.argmax(1)
    correct = int((pred == y[test]).sum())
    confusion = [[int(((y[test] == a) & (pred == b)).sum()) for b in range(3)] for a in range(3)]
    print(f"held-out accuracy {correct}/{len(test)} = {correct / len(test):.4f}; confusion (rows true EI, IE, N) {confusion}")

    os.makedirs(out_dir, exist_ok=True)
    onnx_path = os.path.join(out_dir, "splice-cnn.onnx")
    torch.onnx.export(exported, x[:1], onnx_path, opset_version=OPSET, input_names=["input"],
                      output_names=["probabilities"], dynamic_axes={"input": {0: "batch"}, "probabilities": {0: "batch"}})

    with open(os.path.join(DATA, "split.json"), "w") as f:
        json.dump({
            "description": "Fixed stratified held-out split of data/splice/splice.csv (0-based data rows, the header "
                           "line not counted): per class, a numpy RandomState(seed) permutation, the first "
                           "round(0.2 * class size) held out. Made by scripts/splice/train.py.",
            "seed": SPLIT_SEED, "n_test": len(test), "n_train": len(train),
            "test_counts": {c: int((y[test] == k).sum()) for k, c in enumerate(CLASSES)},
            "test_indices": test, "train_indices": train}, f)
        f.write("\n")
    # Full predictions on the held-out set (the test reproduces them from the .enn) and exact probabilities
    # for a few cases of each class (compared within 1e-4).
    few = [i for c in range(3) for i in [j for j in range(len(test)) if y[test[j]] == c][:3]]
    with open(os.path.join(DATA, "torch-reference.json"), "w") as f:
        json.dump({
            "description": "PyTorch's outputs for models/splice-cnn.enn (scripts/splice/train.py): the predicted "
                           "class of every held-out case (in split.json's test_indices order) and the "
                           "probabilities of a few of them (float32 as shortest round-trip decimals).",
            "torch": torch.__version__, "classes": CLASSES, "accuracy": correct / len(test), "correct": correct,
            "n_test": len(test), "confusion": confusion, "predictions": pred.tolist(),
            "cases": [{"row": test[j], "label": CLASSES[int(y[test[j]])],
                       "probabilities": [float(np.format_float_positional(v, unique=True)) for v in probs[j]]}
                      for j in few],
            "parameters": sum(p.numel() for p in model.parameters()),
            "training": {"epochs": EPOCHS, "batch": BATCH, "lr": LR, "weight_decay": WEIGHT_DECAY, "optimizer": "Adam",
                         "init_seed": INIT_SEED, "split_seed": SPLIT_SEED}}, f, indent=1)
        f.write("\n")


main(sys.argv[1])
