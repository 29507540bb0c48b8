#!/usr/bin/env python3
"""Dump a ResNet-18 state_dict to HDF5 for `ClassicResNet18.loadTorchvisionWeights(path:)`.

One float32 dataset per state_dict name at the file's root ("conv1.weight" [64,3,7,7],
"layer1.0.bn1.running_mean" [64], ..., "fc.weight" [1000,512]); integer counters
(num_batches_tracked) are skipped. The Swift loader keeps its own 2-class fc when the shapes
differ and sums conv1 over RGB for greyscale models.

Sources, in order of preference:
  --state-dict FILE   a saved torchvision resnet18 state_dict (torch.save(model.state_dict(), FILE)),
                      e.g. resnet18-f37072fd.pth from torchvision's model zoo;
  --torchvision       torchvision.models.resnet18(weights="IMAGENET1K_V1") (needs torchvision and
                      the weights in its cache; not available for torch 2.13 here);
  --random SEED       the plain-torch ResNet-18 of torch_resnet_throughput.py with the same
                      names, randomly initialised (for testing the pipeline), optionally also
                      writing --check-out FILE with an input batch and its eval-mode logits.

    /work/venv-nn/bin/pip install h5py
    /work/venv-nn/bin/python benchmarks/convert_torchvision_resnet18.py --random 0 --out /tmp/r18.h5
"""
import argparse
import os
import sys

import h5py
import numpy as np
import torch


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--state-dict")
    src.add_argument("--torchvision", action="store_true")
    src.add_argument("--random", type=int, metavar="SEED")
    p.add_argument("--out", required=True)
    p.add_argument("--check-out", help="with --random: write input 'x' [2,3,64,64] and eval logits 'logits' here")
    a = p.parse_args()

    model = None
    if a.state_dict:
        state = torch.load(a.state_dict, map_location="cpu")
    elif a.torchvision:
        import torchvision  # noqa: deferred: only this mode needs it
        state = torchvision.models.resnet18(weights="IMAGENET1K_V1").state_dict()
    else:
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        from torch_resnet_throughput import ResNet18
        torch.manual_seed(a.random)
        model = ResNet18(in_channels=3, num_classes=1000)
        # Non-trivial running statistics, so a loader that skipped them would be caught.
        with torch.no_grad():
            for m in model.modules():
                if isinstance(m, torch.nn.BatchNorm2d):
                    m.running_mean.uniform_(-0.1, 0.1)
                    m.running_var.uniform_(0.5, 1.5)
                    m.weight.uniform_(0.5, 1.5)
                    m.bias.uniform_(-0.1, 0.1)
        state = model.state_dict()

    written = 0
    with h5py.File(a.out, "w") as f:
        for name, t in state.items():
            if not torch.is_floating_point(t):
                continue  # num_batches_tracked
            f.create_dataset(name, data=t.detach().cpu().numpy().astype(np.float32))
            written += 1
    print(f"wrote {written} float32 datasets to {a.out}")

    if a.check_out:
        if model is None:
            sys.exit("--check-out needs --random")
        torch.manual_seed(a.random + 1)
        x = torch.randn(2, 3, 64, 64)
        model.eval()
        with torch.no_grad():
            logits = model(x)
        with h5py.File(a.check_out, "w") as f:
            f.create_dataset("x", data=x.numpy())
            f.create_dataset("logits", data=logits.numpy())
        print(f"wrote check input and logits {list(logits.shape)} to {a.check_out}")


if __name__ == "__main__":
    main()
