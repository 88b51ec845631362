"""Reference fixtures for tests/nn_torch.rs, made with PyTorch (CPU, float32).

Run from the repository root:
    benches/peers/.venv/bin/python tests/data/make_nn_fixtures.py
Writes tests/data/nn_*.safetensors. Every file is a plain safetensors file
(`safetensors.torch.save_file`, no oxilearn metadata).

With `--check-ours FILE.safetensors`, instead loads a LeNet-CIFAR state_dict
written by oxilearn into PyTorch and prints the logits on the fixture input
(the Rust test `our_weights_file_is_a_plain_state_dict` writes one).
"""
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import load_file, save_file

torch.manual_seed(0)
DIR = "tests/data/"


class LeNet5(nn.Module):
    def __init__(self, in_channels, pad1):
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


def lenet_fixture(name, in_channels, hw, pad1):
    model = LeNet5(in_channels, pad1)
    # A few SGD steps on random data so the weights are "trained", not just initialised.
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    for _ in range(3):
        xb = torch.rand(8, in_channels, hw, hw)
        yb = torch.randint(0, 10, (8,))
        opt.zero_grad()
        F.cross_entropy(model(xb), yb).backward()
        opt.step()
    save_file(model.state_dict(), DIR + f"nn_lenet_{name}_torch.safetensors")
    x = torch.rand(3, in_channels, hw, hw)
    t = torch.tensor([3, 0, 9])
    model.zero_grad()
    logits = model(x)
    loss = F.cross_entropy(logits, t)
    loss.backward()
    io = {"x": x, "targets": t, "logits": logits.detach(), "loss": loss.detach().reshape(1)}
    for k, p in model.named_parameters():
        io["grad." + k] = p.grad
    save_file(io, DIR + f"nn_lenet_{name}_io.safetensors")


def layer_fixtures():
    out = {}
    # Conv2d stride 2, padding 1.
    conv = nn.Conv2d(2, 3, 3, stride=2, padding=1)
    x = torch.randn(2, 2, 7, 7, requires_grad=True)
    y = conv(x)
    g = torch.randn_like(y)
    y.backward(g)
    out.update({"conv.x": x.detach(), "conv.weight": conv.weight.detach(), "conv.bias": conv.bias.detach(),
                "conv.gout": g, "conv.y": y.detach(), "conv.dx": x.grad, "conv.dweight": conv.weight.grad,
                "conv.dbias": conv.bias.grad})
    # MaxPool2d kernel 3, stride 2 (overlapping windows).
    x = torch.randn(2, 3, 7, 8, requires_grad=True)
    y = F.max_pool2d(x, 3, stride=2)
    g = torch.randn_like(y)
    y.backward(g)
    out.update({"pool.x": x.detach(), "pool.gout": g, "pool.y": y.detach(), "pool.dx": x.grad})
    # Linear.
    lin = nn.Linear(5, 4)
    x = torch.randn(3, 5, requires_grad=True)
    y = lin(x)
    g = torch.randn_like(y)
    y.backward(g)
    out.update({"linear.x": x.detach(), "linear.weight": lin.weight.detach(), "linear.bias": lin.bias.detach(),
                "linear.gout": g, "linear.y": y.detach(), "linear.dx": x.grad,
                "linear.dweight": lin.weight.grad, "linear.dbias": lin.bias.grad})
    # Cross-entropy with large logits (stability).
    logits = (torch.randn(4, 6) * 30).requires_grad_()
    t = torch.tensor([0, 5, 2, 2])
    loss = F.cross_entropy(logits, t)
    loss.backward()
    out.update({"ce.logits": logits.detach(), "ce.targets": t, "ce.loss": loss.detach().reshape(1),
                "ce.dlogits": logits.grad})
    save_file(out, DIR + "nn_layers_torch.safetensors")


def optim_fixtures():
    lin0 = nn.Linear(4, 3)
    xs = [torch.randn(5, 4) for _ in range(4)]
    gout = torch.randn(5, 3)
    out = {"p0.weight": lin0.weight.detach().clone(), "p0.bias": lin0.bias.detach().clone(), "gout": gout}
    for i, x in enumerate(xs):
        out[f"x.{i}"] = x
    cases = {
        "sgd": lambda ps: torch.optim.SGD(ps, lr=0.1),
        "sgd_momentum": lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9),
        "sgd_nesterov_wd": lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.01),
        "adam": lambda ps: torch.optim.Adam(ps, lr=0.01),
        "adam_wd": lambda ps: torch.optim.Adam(ps, lr=0.02, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1),
    }
    for name, make in cases.items():
        lin = nn.Linear(4, 3)
        with torch.no_grad():
            lin.weight.copy_(lin0.weight)
            lin.bias.copy_(lin0.bias)
        opt = make(lin.parameters())
        for i, x in enumerate(xs):
            opt.zero_grad()
            (lin(x) * gout).sum().backward()
            opt.step()
            out[f"{name}.{i}.weight"] = lin.weight.detach().clone()
            out[f"{name}.{i}.bias"] = lin.bias.detach().clone()
    save_file(out, DIR + "nn_optim_torch.safetensors")


def check_ours(path):
    model = LeNet5(3, 0)
    model.load_state_dict(load_file(path))
    io = load_file(DIR + "nn_lenet_cifar10_io.safetensors")
    with torch.no_grad():
        print(model(io["x"]))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--check-ours":
        check_ours(sys.argv[2])
    else:
        lenet_fixture("cifar10", 3, 32, 0)
        lenet_fixture("mnist", 1, 28, 2)
        layer_fixtures()
        optim_fixtures()
