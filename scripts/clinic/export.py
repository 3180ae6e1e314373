"""The clinic example's imaging model and the references its tests check edgenn against.

Run by scripts/clinic/make.mjs:  /usr/bin/python3 export.py OUT_DIR DATA_DIR
DenseNet-121 with CheXNet's head (Rajpurkar et al., 2017: torchvision's DenseNet-121, its classifier replaced by
Linear(1024, 14) + Sigmoid, one output per chest X-ray finding). No pretrained weights can be downloaded here, so
the weights are torchvision's random initialisation, seeded, with randomised BatchNorm statistics, as in
scripts/models/export.py: the model shows the pipeline, it has learnt nothing.

Writes OUT_DIR/chexnet.onnx and, for pydicom's CT and MR test slices preprocessed as the web page does (rescale,
window, bilinear resize to 224, three channels, ImageNet normalisation), NAME.input.npy, NAME.probs.npy (14),
NAME.features.npy (the last feature map, after the final ReLU, [1, 1024, 7, 7]), NAME.cam_low.npy (the CAM of every
class at 7x7) and NAME.cam.npy (upsampled to 224x224 by torch's bilinear interpolate), and manifest.json.
"""
import json, os, sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision

OUT, DATA = sys.argv[1], sys.argv[2]
sys.path.insert(0, os.path.join(DATA, "usr/lib/python3/dist-packages"))  # pydicom unpacked with dpkg -x
import pydicom  # noqa: E402

PYDICOM_FILES = os.path.join(DATA, "usr/lib/python3/dist-packages/pydicom/data/test_files")
FINDINGS = ["Atelectasis", "Cardiomegaly", "Effusion", "Infiltration", "Mass", "Nodule", "Pneumonia", "Pneumothorax",
            "Consolidation", "Edema", "Emphysema", "Fibrosis", "Pleural_Thickening", "Hernia"]
SIZE = 224
MEAN, STD = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]
# The window when a file names none: soft tissue for CT (level 40 HU, width 400), the whole range otherwise.
DEFAULT_WINDOW = {"CT": (40.0, 400.0)}
FEATURES = "/Relu_output_0"  # torchvision's DenseNet.forward: F.relu(self.features(x)), then the pool


def chexnet():
    torch.manual_seed(20171114)  # CheXNet's arXiv date: any fixed seed
    model = torchvision.models.densenet121()
    model.classifier = nn.Sequential(nn.Linear(1024, len(FINDINGS)), nn.Sigmoid())
    for m in model.modules():  # as scripts/models/export.py: folding non-trivial statistics is tested too
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-0.2, 0.2)
            m.running_var.uniform_(0.5, 1.5)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.2, 0.2)
    return model.eval()


def first(v):
    return float(v[0]) if isinstance(v, pydicom.multival.MultiValue) else float(v)


def slice_input(name):
    """What examples/clinic/lib/dicom.mjs makes of a slice, written independently with pydicom and torch."""
    ds = pydicom.dcmread(os.path.join(PYDICOM_FILES, name))
    v = ds.pixel_array.astype(np.float64) * float(ds.get("RescaleSlope", 1)) + float(ds.get("RescaleIntercept", 0))
    if "WindowCenter" in ds:
        centre, width = first(ds.WindowCenter), first(ds.WindowWidth)
    else:
        centre, width = DEFAULT_WINDOW.get(ds.Modality, ((v.max() + v.min()) / 2, max(v.max() - v.min(), 1)))
    img = np.clip((v - (centre - width / 2)) / width, 0, 1).astype(np.float32)
    t = F.interpolate(torch.from_numpy(img)[None, None], size=(SIZE, SIZE), mode="bilinear", align_corners=False)
    x = (t.repeat(1, 3, 1, 1) - torch.tensor(MEAN).view(1, 3, 1, 1)) / torch.tensor(STD).view(1, 3, 1, 1)
    return x.contiguous(), {"file": name, "modality": ds.Modality, "window": [centre, width], "rows": int(ds.Rows), "columns": int(ds.Columns)}


def main():
    os.makedirs(OUT, exist_ok=True)
    model = chexnet()
    torch.onnx.export(model, (torch.zeros(1, 3, SIZE, SIZE),), os.path.join(OUT, "chexnet.onnx"), opset_version=13,
                      input_names=["input"], output_names=["output"], do_constant_folding=True)
    w = model.classifier[0].weight.detach()  # [14, 1024]
    manifest = {"torch": torch.__version__, "torchvision": torchvision.__version__, "findings": FINDINGS,
                "features": FEATURES, "weights": "classifier.0.weight", "mean": MEAN, "std": STD, "size": SIZE, "slices": {}}
    for key, name in [("ct", "CT_small.dcm"), ("mr", "MR_small.dcm")]:
        x, info = slice_input(name)
        with torch.no_grad():
            feats = F.relu(model.features(x))
            probs = model(x)[0]
        cam_low = F.relu(torch.einsum("kc,chw->khw", w, feats[0]))
        cam = F.interpolate(cam_low[None], size=(SIZE, SIZE), mode="bilinear", align_corners=False)[0]
        for suffix, arr in [("input", x), ("probs", probs), ("features", feats), ("cam_low", cam_low), ("cam", cam)]:
            np.save(os.path.join(OUT, f"{key}.{suffix}.npy"), arr.numpy().astype(np.float32))
        manifest["slices"][key] = info
        print(f"{name}: top finding {FINDINGS[int(probs.argmax())]} ({float(probs.max()):.3f}, untrained)", flush=True)
    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)


main()
