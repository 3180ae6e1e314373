"""Exports the project's real model architectures to ONNX, with real inputs, for the model tests and benchmarks.

Run by scripts/models.mjs (which installs Debian's python3-torch and fetches the data packages first):
    /usr/bin/python3 export.py OUT_DIR DATA_DIR
No pretrained weights can be downloaded here, so every network has its framework's random initialisation,
seeded; BatchNorm statistics are randomised too so that folding them is tested with non-trivial values.
Writes OUT_DIR/NAME.onnx, OUT_DIR/NAME.input.npy (and .input1.npy ...) and OUT_DIR/manifest.json.
"""
import json, math, os, sys

import numpy as np
import torch
import torch.nn as nn
import torchvision

OUT, DATA = sys.argv[1], sys.argv[2]
sys.path.insert(0, os.path.join(DATA, "usr/lib/python3/dist-packages"))  # pydicom unpacked with dpkg -x
import pydicom  # noqa: E402

PYDICOM_FILES = os.path.join(DATA, "usr/lib/python3/dist-packages/pydicom/data/test_files")
OPSET = 13


def seeded(name):
    torch.manual_seed(sum(ord(ch) * (i + 1) for i, ch in enumerate(name)) % 2**31)


def randomise_batchnorm(model):
    for m in model.modules():
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            n = m.num_features
            m.running_mean.uniform_(-0.2, 0.2)
            m.running_var.uniform_(0.5, 1.5)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.2, 0.2)
    return model


# ---- real inputs ------------------------------------------------------------------------------------------

def ct_image(size=224):
    """The CT slice shipped with pydicom (128x128 int16, GE), in Hounsfield units, windowed, 3 channels."""
    ds = pydicom.dcmread(os.path.join(PYDICOM_FILES, "CT_small.dcm"))
    hu = ds.pixel_array.astype(np.float32) * float(ds.RescaleSlope) + float(ds.RescaleIntercept)
    img = np.clip((hu + 160.0) / 400.0, 0.0, 1.0)  # soft-tissue window: level 40 HU, width 400 HU
    t = torch.from_numpy(img)[None, None]
    t = torch.nn.functional.interpolate(t, size=(size, size), mode="bilinear", align_corners=False)
    mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
    return ((t.repeat(1, 3, 1, 1) - mean) / std).contiguous()


def ecg_lead(samples=1000):
    """Lead II of the real 12-lead ECG shipped with pydicom (1000 Hz), standardised: [1, samples, 1]."""
    ds = pydicom.dcmread(os.path.join(PYDICOM_FILES, "waveform_ecg.dcm"))
    wave = ds.WaveformSequence[0]
    ch, n = int(wave.NumberOfWaveformChannels), int(wave.NumberOfWaveformSamples)
    data = np.frombuffer(wave.WaveformData, dtype="<i2").reshape(n, ch).astype(np.float32)
    lead = data[:samples, 1]
    lead = (lead - lead.mean()) / (lead.std() + 1e-6)
    return torch.from_numpy(lead.copy()).view(1, samples, 1)


def dna_one_hot(length=1000):
    """The first `length` bases of C. elegans chromosome I (htslib's test data), one-hot ACGT: [1, 4, length]."""
    seq = []
    with open(os.path.join(DATA, "usr/share/htslib-test/test/ce.fa")) as f:
        for line in f:
            if line.startswith(">"):
                continue
            seq.extend(line.strip().upper())
            if len(seq) >= length:
                break
    x = np.zeros((1, 4, length), dtype=np.float32)
    for i, b in enumerate(seq[:length]):
        j = "ACGT".find(b)
        if j >= 0:
            x[0, j, i] = 1.0
    return torch.from_numpy(x)


def text_token_ids(vocab, length=128):
    """Token ids of a real clinical-style sentence stream: pydicom's SR test report text, hashed into `vocab`."""
    ds = pydicom.dcmread(os.path.join(PYDICOM_FILES, "test-SR.dcm"))
    words = []

    def walk(items):
        for it in items:
            if "TextValue" in it:
                words.extend(str(it.TextValue).lower().split())
            if "ContentSequence" in it:
                walk(it.ContentSequence)
    walk(ds.ContentSequence)
    words = (words * (length // max(len(words), 1) + 1))[:length]
    ids = [1 + (sum(ord(ch) * 31**i for i, ch in enumerate(w)) % (vocab - 1)) for w in words]
    return torch.tensor([ids], dtype=torch.int64)


# ---- models -----------------------------------------------------------------------------------------------

class EcgLstm(nn.Module):
    """2-layer LSTM (hidden 128) over a single-lead ECG, classifying the rhythm from the last hidden state."""
    def __init__(self, hidden=128, classes=5):
        super().__init__()
        self.lstm = nn.LSTM(1, hidden, num_layers=2, batch_first=True)
        self.head = nn.Linear(hidden, classes)

    def forward(self, x):
        y, _ = self.lstm(x)
        return self.head(y[:, -1])


class EcgBiGru(nn.Module):
    """Bidirectional GRU ECG classifier: mean over time of both directions."""
    def __init__(self, hidden=64, classes=5):
        super().__init__()
        self.gru = nn.GRU(1, hidden, num_layers=1, batch_first=True, bidirectional=True)
        self.head = nn.Linear(2 * hidden, classes)

    def forward(self, x):
        y, _ = self.gru(x)
        return self.head(y.mean(dim=1))


class TextTransformer(nn.Module):
    """2-layer transformer encoder (d 128, 4 heads, ff 512) over int64 token ids, mean-pooled, 2 classes."""
    def __init__(self, vocab=1000, d=128, heads=4, layers=2, seq=128, classes=2):
        super().__init__()
        self.embed = nn.Embedding(vocab, d)
        self.pos = nn.Parameter(torch.randn(1, seq, d) * 0.02)
        layer = nn.TransformerEncoderLayer(d, heads, dim_feedforward=4 * d, dropout=0.0, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.head = nn.Linear(d, classes)

    def forward(self, ids):
        return self.head(self.encoder(self.embed(ids) + self.pos).mean(dim=1))


class DnaCnn(nn.Module):
    """1-D CNN over one-hot DNA (splice-site style): two conv blocks, global average pool, sigmoid score."""
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv1d(4, 64, 15, padding=7), nn.BatchNorm1d(64), nn.ReLU(), nn.MaxPool1d(4),
            nn.Conv1d(64, 64, 9, padding=4), nn.BatchNorm1d(64), nn.ReLU(), nn.MaxPool1d(4),
            nn.Conv1d(64, 64, 9, padding=4), nn.ReLU(),
            nn.AdaptiveAvgPool1d(1), nn.Flatten(), nn.Linear(64, 1), nn.Sigmoid())

    def forward(self, x):
        return self.net(x)


class WdbcMlp(nn.Module):
    """The default model with its trained weights (test/models/wdbc-reference.json, trained by tfjs-layers)."""
    def __init__(self, ref):
        super().__init__()
        layers = []
        for i, name in enumerate(["dense1", "dense2", "dense3"]):
            k = np.array(ref["weights"][name]["kernel"], dtype=np.float32)  # [in, out]
            lin = nn.Linear(k.shape[0], k.shape[1])
            lin.weight.data = torch.from_numpy(k.T.copy())
            lin.bias.data = torch.tensor(ref["weights"][name]["bias"], dtype=torch.float32)
            layers += [lin, nn.ReLU() if i < 2 else nn.Sigmoid()]
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        return self.net(x)


def wdbc_reference(repo):
    with open(os.path.join(repo, "test/models/wdbc-reference.json")) as f:
        return json.load(f)


def build(name, repo):
    seeded(name)
    tv = torchvision.models
    if name in ("resnet18", "mobilenet_v2", "squeezenet1_1", "shufflenet_v2_x1_0", "efficientnet_b0", "densenet121"):
        return randomise_batchnorm(getattr(tv, name)()), [ct_image()]
    if name == "shufflenet_dynamic":
        return randomise_batchnorm(tv.shufflenet_v2_x0_5()), [ct_image(160)]
    if name == "lstm_ecg":
        return EcgLstm(), [ecg_lead()]
    if name == "bigru_ecg":
        return EcgBiGru(), [ecg_lead()]
    if name == "transformer_text":
        return TextTransformer(), [text_token_ids(1000)]
    if name == "dna_cnn":
        return randomise_batchnorm(DnaCnn()), [dna_one_hot()]
    if name == "wdbc_mlp":
        ref = wdbc_reference(repo)  # the held-out cases, standardised, as the default model sees them
        return WdbcMlp(ref), [torch.tensor(ref["standardized_features"][:1], dtype=torch.float32)]
    raise SystemExit(f"unknown model {name}")


MODELS = ["wdbc_mlp", "dna_cnn", "lstm_ecg", "bigru_ecg", "transformer_text", "squeezenet1_1", "mobilenet_v2",
          "shufflenet_v2_x1_0", "resnet18", "efficientnet_b0", "densenet121", "shufflenet_dynamic"]

# Exported with dynamic axes (batch, height, width): its channel shuffle reads x.size(), so the ONNX graph does
# shape arithmetic on symbolic dims, as many real exports do.
DYNAMIC_AXES = {"shufflenet_dynamic": {"input": {0: "batch", 2: "height", 3: "width"}, "output": {0: "batch"}}}


def main():
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    names = sys.argv[3].split(",") if len(sys.argv) > 3 else MODELS
    os.makedirs(OUT, exist_ok=True)
    manifest = {"torch": torch.__version__, "torchvision": torchvision.__version__, "opset": OPSET, "models": {}}
    for name in names:
        model, inputs = build(name, repo)
        model.eval()
        input_names = ["input"] if len(inputs) == 1 else [f"input{i}" for i in range(len(inputs))]
        path = os.path.join(OUT, f"{name}.onnx")
        torch.onnx.export(model, tuple(inputs), path, opset_version=OPSET, input_names=input_names,
                          output_names=["output"], do_constant_folding=True, dynamic_axes=DYNAMIC_AXES.get(name))
        files = []
        for i, x in enumerate(inputs):
            f = f"{name}.input{i}.npy"
            np.save(os.path.join(OUT, f), x.numpy())
            files.append({"name": input_names[i], "file": f, "shape": list(x.shape), "dtype": str(x.numpy().dtype)})
        with torch.no_grad():
            y = model(*inputs).numpy()
        np.save(os.path.join(OUT, f"{name}.torch.npy"), y)
        params = sum(p.numel() for p in model.parameters())
        manifest["models"][name] = {"onnx": f"{name}.onnx", "inputs": files, "torch_output": f"{name}.torch.npy",
                                    "parameters": int(params), "bytes": os.path.getsize(path)}
        print(f"{name}: {params / 1e6:.2f} M parameters, {os.path.getsize(path) / 1e6:.1f} MB", flush=True)
    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)


main()
