#!/usr/bin/env python3
"""PyTorch CPU peer of the Classic model's training-throughput benchmark.

Defines torchvision's ResNet-18 in plain torch (torchvision is not installed for torch 2.13 here;
module names match torchvision's state_dict exactly) and times forward + backward + Adam steps on
random data, the same work as `measureClassicTrainingThroughput` in Sources/BenchSuite. Like
`bench`: one warm-up step, then --repeats timed runs of --steps steps each, the sizes interleaved
(A B A B) so machine noise hits every size alike; prints the median with the min-max.

    python3 -m venv /work/venv-nn
    /work/venv-nn/bin/pip install /opt/wheels/torch-2.13.0+cpu-cp311-cp311-manylinux_2_28_x86_64.whl
    /work/venv-nn/bin/python benchmarks/torch_resnet_throughput.py --sizes 32,64,128 --threads 2
"""
import argparse
import statistics
import time

import torch
from torch import nn


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + (x if self.downsample is None else self.downsample(x)))


class ResNet18(nn.Module):
    def __init__(self, in_channels=3, num_classes=2, conv1_stride=2):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, 64, 7, conv1_stride, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        self.layer1 = nn.Sequential(BasicBlock(64, 64), BasicBlock(64, 64))
        self.layer2 = nn.Sequential(BasicBlock(64, 128, 2), BasicBlock(128, 128))
        self.layer3 = nn.Sequential(BasicBlock(128, 256, 2), BasicBlock(256, 256))
        self.layer4 = nn.Sequential(BasicBlock(256, 512, 2), BasicBlock(512, 512))
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(512, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def conv1_stride(stem, size):
    if stem == "auto":
        return 1 if size <= 64 else 2
    return 1 if stem == "highres" else 2


def make_step(size, batch, stem="auto"):
    torch.manual_seed(1)
    model = ResNet18(conv1_stride=conv1_stride(stem, size)).train()
    opt = torch.optim.Adam(model.parameters(), lr=2e-4, betas=(0.5, 0.999))
    x = torch.randn(batch, 3, size, size)
    y = torch.arange(batch) % 2
    loss_fn = nn.CrossEntropyLoss()

    def step():
        opt.zero_grad(set_to_none=False)
        loss_fn(model(x), y).backward()
        opt.step()

    step()  # warm-up, as on the Swift side
    return step


def make_eval_step(size, batch, stem="auto"):
    """Forward only in eval mode (BatchNorm running statistics) under inference_mode: the peer of
    `bench classic --inference` (our BatchNorm-folded inference path)."""
    torch.manual_seed(1)
    model = ResNet18(conv1_stride=conv1_stride(stem, size)).eval()
    x = torch.randn(batch, 3, size, size)

    def step():
        with torch.inference_mode():
            model(x)

    step()  # warm-up
    return step


def timed(step, batch, steps):
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    return batch * steps / (time.perf_counter() - t0)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", default="32,64,128")
    p.add_argument("--stem", choices=["auto", "torchvision", "highres"], default="auto",
                   help="conv1 stride: auto = 1 for images of at most 64 px (as the Swift Classic model), else 2")
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--steps", type=int, default=10, help="timed steps per repeat (enough for a few seconds)")
    p.add_argument("--repeats", type=int, default=5, help="timed repeats per size, interleaved across sizes")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--mode", choices=["train", "eval"], default="train",
                   help="train: forward + backward + Adam; eval: forward only in eval mode (inference)")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    n = sum(t.numel() for t in ResNet18().parameters())
    print(f"torch {torch.__version__}, ResNet-18 with 2 outputs: {n} parameters")
    sizes = list(map(int, a.sizes.split(",")))
    make = make_step if a.mode == "train" else make_eval_step
    steps = {s: make(s, a.batch, a.stem) for s in sizes}
    runs = {s: [] for s in sizes}
    for _ in range(max(1, a.repeats)):
        for s in sizes:
            runs[s].append(timed(steps[s], a.batch, a.steps))
    for s in sizes:
        v = runs[s]
        print(f"torch resnet18 {'eval ' if a.mode == 'eval' else ''}{s}x{s} batch {a.batch} threads {a.threads} conv1 stride {conv1_stride(a.stem, s)}: "
              f"{statistics.median(v):.1f} img/s (median of {len(v)}, min {min(v):.1f}, max {max(v):.1f})")


if __name__ == "__main__":
    main()
