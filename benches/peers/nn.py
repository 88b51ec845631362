"""PyTorch CPU peer for benches/nn.rs: LeNet-5 training step (batch 100,
SGD lr 0.01 momentum 0.9, cross-entropy, zero_grad + backward + step) and
inference (batch 1000, eval mode, no_grad), CIFAR-10 (3x32x32) and MNIST
(1x28x28, conv1 padding 2) shapes; the Keras MNIST CNN (training step of
batch 64 with Adam 1e-3, inference of batch 256) and ResNet-8 on CIFAR-10
shapes (training step of batch 64 with SGD lr 0.05 momentum 0.9, inference of
batch 256), as benches/nn.rs builds them; plus the 512x512 f32 GEMM that the Rust
bench uses as its "GEMM peak" reference (torch.mm).

Inputs are uniform [0, 1) images drawn with a fixed torch seed (the time of a
LeNet pass does not depend on the pixel values; the Rust bench draws its own).
Run through run.py, which pins the thread pools (torch.set_num_threads) before
``main`` runs; run standalone it pins torch to ``$PEERS_THREADS`` (default 2):

    benches/peers/.venv/bin/python benches/peers/nn.py

Prints one JSON record per case (peerlib format) with ``"ours"`` naming the
criterion id it pairs with.
"""

from __future__ import annotations

import copy

import torch
import torch.nn as nn
import torch.nn.functional as F

from peerlib import emit, threads, time_median


class LeNet5(nn.Module):
    def __init__(self, in_channels: int, pad1: int):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, 6, 5, padding=pad1)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(400, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


class KerasMnistCnn(nn.Module):
    """The classic Keras MNIST CNN (oxilearn's KerasCnn::mnist, no dropout)."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, padding="same")
        self.conv2 = nn.Conv2d(32, 64, 3, padding="same")
        self.fc1 = nn.Linear(64 * 14 * 14, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = F.relu(self.fc1(torch.flatten(x, 1)))
        return self.fc2(x)


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = nn.Sequential()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class ResNet(nn.Module):
    """CIFAR ResNet-(6n+2) with projection shortcuts (oxilearn's ResNet builder)."""

    def __init__(self, n=1, width=16, in_channels=3, classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, width, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        stages, cin = [], width
        for cout, stride in [(width, 1), (2 * width, 2), (4 * width, 2)]:
            blocks = [BasicBlock(cin, cout, stride)] + [BasicBlock(cout, cout, 1) for _ in range(n - 1)]
            stages.append(nn.Sequential(*blocks))
            cin = cout
        self.layer1, self.layer2, self.layer3 = stages
        self.fc = nn.Linear(4 * width, classes)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


# Training steps between restarts from the initial weights (benches/nn.rs: RESTART).
RESTART = 200


def main(out_dir: str | None = None) -> list[dict]:
    torch.manual_seed(0)
    peer = f"torch {torch.__version__.split('+')[0]} (CPU)"
    config = {"threads": torch.get_num_threads(), "interop_threads": torch.get_num_interop_threads(),
              "cpu_capability": torch.backends.cpu.get_cpu_capability()}
    records = []
    for name, c, hw, pad in [("cifar10", 3, 32, 0), ("mnist", 1, 28, 2)]:
        model = LeNet5(c, pad)
        init = copy.deepcopy(model.state_dict())
        x = torch.rand(100, c, hw, hw)
        y = torch.randint(0, 10, (100,))
        state = {"steps": 0, "opt": None}

        def step():
            # Restart from the initial weights and a fresh optimizer every
            # RESTART steps, as benches/nn.rs does (see there: trained long
            # on one fixed batch, the backward pass ends up on subnormals).
            if state["steps"] % RESTART == 0:
                model.load_state_dict(init)
                state["opt"] = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
            state["steps"] += 1
            opt = state["opt"]
            opt.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            return loss.item()

        model.train()
        median, calls = time_median(step)
        ours = f"nn/lenet_{name}_f32/train_step/b100"
        records.append(emit({"area": "nn", "name": ours, "ours": ours, "peer": peer, "median_s": median,
                             "samples": calls, "config": {**config, "batch": 100, "images_per_s": 100 / median}}))
        xi = torch.rand(1000, c, hw, hw)
        model.eval()

        def infer():
            with torch.no_grad():
                return model(xi)[0, 0].item()

        median, calls = time_median(infer)
        ours = f"nn/lenet_{name}_f32/inference/b1000"
        records.append(emit({"area": "nn", "name": ours, "ours": ours, "peer": peer, "median_s": median,
                             "samples": calls, "config": {**config, "batch": 1000, "images_per_s": 1000 / median}}))
    for group, model, c, hw, make_opt in [
        ("keras_mnist", KerasMnistCnn(), 1, 28, lambda m: torch.optim.Adam(m.parameters(), lr=1e-3)),
        ("resnet8_cifar10", ResNet(), 3, 32, lambda m: torch.optim.SGD(m.parameters(), lr=0.05, momentum=0.9)),
    ]:
        records += train_and_infer(group, model, c, hw, 64, make_opt, peer, config)
    n = 512
    a, b = torch.rand(n, n) * 2 - 1, torch.rand(n, n) * 2 - 1
    out = torch.empty(n, n)
    median, calls = time_median(lambda: torch.mm(a, b, out=out))
    ours = "nn/gemm_f32/gemm/512"
    records.append(emit({"area": "nn", "name": ours, "ours": ours, "peer": f"torch {torch.__version__.split('+')[0]} mm (CPU)",
                         "median_s": median, "flops": 2 * n**3, "samples": calls, "config": {**config, "n": n}}))
    return records


def train_and_infer(group, model, c, hw, batch, make_opt, peer, config) -> list[dict]:
    """Training steps of ``batch`` (restarting every RESTART steps) and
    eval-mode inference of batch 256, as benches/nn.rs's train_and_infer."""
    records = []
    init = copy.deepcopy(model.state_dict())
    x = torch.rand(batch, c, hw, hw)
    y = torch.randint(0, 10, (batch,))
    state = {"steps": 0, "opt": None}

    def step():
        if state["steps"] % RESTART == 0:
            model.load_state_dict(init)
            state["opt"] = make_opt(model)
        state["steps"] += 1
        opt = state["opt"]
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss.item()

    model.train()
    median, calls = time_median(step)
    ours = f"nn/{group}_f32/train_step/b{batch}"
    records.append(emit({"area": "nn", "name": ours, "ours": ours, "peer": peer, "median_s": median,
                         "samples": calls, "config": {**config, "batch": batch, "images_per_s": batch / median}}))
    model.load_state_dict(init)
    model.eval()
    xi = torch.rand(256, c, hw, hw)

    def infer():
        with torch.no_grad():
            return model(xi)[0, 0].item()

    median, calls = time_median(infer)
    ours = f"nn/{group}_f32/inference/b256"
    records.append(emit({"area": "nn", "name": ours, "ours": ours, "peer": peer, "median_s": median,
                         "samples": calls, "config": {**config, "batch": 256, "images_per_s": 256 / median}}))
    return records


if __name__ == "__main__":
    torch.set_num_threads(threads())
    main()
