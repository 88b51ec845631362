"""Reference fixtures for tests/nn_kit.rs, made with PyTorch (CPU, float32;
learning-rate sequences in float64, as PyTorch computes them in Python floats).

Run from the repository root with the peers venv (benches/peers/setup.sh):
    python tests/data/make_nn_kit_fixtures.py
Writes (plain `safetensors.torch.save_file` files, no oxilearn metadata):
- tests/data/nn_kit_layers_torch.safetensors: forward and backward of the
  layers added after LeNet (batch norm, average pooling, activations,
  `padding="same"` convolutions, gradient clipping);
- tests/data/nn_resnet8_torch.safetensors: a CIFAR ResNet-8 of width 8
  (the network oxilearn's `ResNet` builder makes with `.width(8)`, PyTorch
  attribute names) after two SGD steps, with a batch, its training-mode logits, loss, parameter gradients,
  running statistics and evaluation-mode logits;
- tests/data/nn_sched_torch.safetensors: learning-rate (and momentum)
  sequences of StepLR, ExponentialLR, CosineAnnealingLR, OneCycleLR and
  ReduceLROnPlateau.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import save_file

DIR = "tests/data/"


def grad_case(out, name, f, x, *params):
    """Stores x, a random output gradient, f(x) and the gradients of x and params."""
    x = x.clone().requires_grad_()
    y = f(x)
    g = torch.randn_like(y)
    y.backward(g)
    out[f"{name}.x"] = x.detach()
    out[f"{name}.y"] = y.detach()
    out[f"{name}.gout"] = g
    out[f"{name}.dx"] = x.grad
    for pname, p in params:
        out[f"{name}.d{pname}"] = p.grad.clone()


def layer_fixtures():
    torch.manual_seed(1)
    out = {}
    # BatchNorm2d: two training steps (running statistics), random affine
    # parameters, then evaluation.
    bn = nn.BatchNorm2d(3)
    with torch.no_grad():
        bn.weight.copy_(torch.randn(3))
        bn.bias.copy_(torch.randn(3))
    out["bn2d.weight"] = bn.weight.detach().clone()
    out["bn2d.bias"] = bn.bias.detach().clone()
    x0 = torch.randn(4, 3, 5, 6) * 2 + 1
    bn.train()
    out["bn2d.x0"] = x0
    out["bn2d.y0"] = bn(x0).detach()
    grad_case(out, "bn2d", bn, torch.randn(4, 3, 5, 6) * 3 - 2, ("weight", bn.weight), ("bias", bn.bias))
    out["bn2d.running_mean"] = bn.running_mean.clone()
    out["bn2d.running_var"] = bn.running_var.clone()
    out["bn2d.num_batches_tracked"] = bn.num_batches_tracked.clone()
    bn.eval()
    xe = torch.randn(2, 3, 5, 6)
    out["bn2d.eval_x"] = xe
    out["bn2d.eval_y"] = bn(xe).detach()
    # BatchNorm2d with momentum=None (cumulative average), 3 steps.
    bn = nn.BatchNorm2d(2, momentum=None, eps=1e-3)
    for i in range(3):
        xi = torch.randn(3, 2, 4, 4) + i
        out[f"bn2d_cma.x{i}"] = xi
        bn(xi)
    out["bn2d_cma.running_mean"] = bn.running_mean.clone()
    out["bn2d_cma.running_var"] = bn.running_var.clone()
    # BatchNorm1d on [n, c] and [n, c, l].
    bn = nn.BatchNorm1d(4)
    with torch.no_grad():
        bn.weight.copy_(torch.randn(4))
        bn.bias.copy_(torch.randn(4))
    out["bn1d.weight"] = bn.weight.detach().clone()
    out["bn1d.bias"] = bn.bias.detach().clone()
    grad_case(out, "bn1d", bn, torch.randn(6, 4) * 2, ("weight", bn.weight), ("bias", bn.bias))
    bn.zero_grad()
    grad_case(out, "bn1d_seq", bn, torch.randn(3, 4, 5), ("weight", bn.weight), ("bias", bn.bias))
    out["bn1d.running_mean"] = bn.running_mean.clone()
    out["bn1d.running_var"] = bn.running_var.clone()
    # Average pooling.
    grad_case(out, "avgpool", lambda t: F.avg_pool2d(t, 3, stride=2, padding=1), torch.randn(2, 3, 7, 8))
    grad_case(out, "avgpool_nopad",
              lambda t: F.avg_pool2d(t, 3, stride=2, padding=1, count_include_pad=False), torch.randn(2, 3, 7, 8))
    grad_case(out, "adaptive", lambda t: F.adaptive_avg_pool2d(t, (2, 3)), torch.randn(2, 3, 5, 7))
    grad_case(out, "gap", lambda t: F.adaptive_avg_pool2d(t, 1), torch.randn(2, 4, 3, 3))
    # Activations.
    xa = torch.randn(3, 4, 5) * 3
    grad_case(out, "leaky", lambda t: F.leaky_relu(t, 0.2), xa)
    grad_case(out, "sigmoid", torch.sigmoid, xa)
    grad_case(out, "tanh", torch.tanh, xa)
    grad_case(out, "gelu", F.gelu, xa)
    grad_case(out, "gelu_tanh", lambda t: F.gelu(t, approximate="tanh"), xa)
    # Convolutions with padding="same" (direct kernels: width ≥ 8; GEMM: narrower).
    for name, cin, cout, k, hw in [("same3", 3, 8, 3, (9, 10)), ("same5", 2, 5, 5, (6, 7))]:
        conv = nn.Conv2d(cin, cout, k, padding="same")
        out[f"{name}.weight"] = conv.weight.detach().clone()
        out[f"{name}.bias"] = conv.bias.detach().clone()
        grad_case(out, name, conv, torch.randn(2, cin, *hw), ("weight", conv.weight), ("bias", conv.bias))
    # Gradient clipping by the global 2-norm.
    grads = [torch.randn(3, 4), torch.randn(5)]
    ps = [torch.zeros_like(g, requires_grad=True) for g in grads]
    for p, g in zip(ps, grads):
        p.grad = g.clone()
    total = torch.nn.utils.clip_grad_norm_(ps, max_norm=1.5)
    out["clip.g0"], out["clip.g1"] = grads
    out["clip.total"] = total.reshape(1)
    out["clip.c0"], out["clip.c1"] = ps[0].grad, ps[1].grad
    save_file({k: v.contiguous() for k, v in out.items()}, DIR + "nn_kit_layers_torch.safetensors")


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
    """CIFAR ResNet-(6n+2) (He et al. 2016, section 4.2), projection shortcuts."""

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
        x = torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)
        return self.fc(x)


def resnet_fixture():
    torch.manual_seed(2)
    model = ResNet(1, width=8)
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    model.train()
    for _ in range(2):
        xb, yb = torch.rand(8, 3, 32, 32), torch.randint(0, 10, (8,))
        opt.zero_grad()
        F.cross_entropy(model(xb), yb).backward()
        opt.step()
    out = {f"model.{k}": v.clone() for k, v in model.state_dict().items()}
    x, t = torch.rand(4, 3, 32, 32), torch.tensor([3, 0, 9, 5])
    opt.zero_grad()
    logits = model(x)
    loss = F.cross_entropy(logits, t)
    loss.backward()
    out.update({"x": x, "targets": t, "logits": logits.detach(), "loss": loss.detach().reshape(1)})
    for k, p in model.named_parameters():
        out["grad." + k] = p.grad.clone()
    for k, v in model.state_dict().items():
        if "running" in k or "num_batches" in k:
            out["after." + k] = v.clone()
    model.eval()
    with torch.no_grad():
        out["eval_logits"] = model(x)
    save_file({k: v.contiguous() for k, v in out.items()}, DIR + "nn_resnet8_torch.safetensors")


def sched_fixtures():
    out = {}

    def run(name, make_opt, make_sched, steps, metrics=None, beta=False):
        p = nn.Parameter(torch.zeros(1))
        opt = make_opt([p])
        sched = make_sched(opt)
        lrs, moms = [], []
        for i in range(steps):
            lrs.append(opt.param_groups[0]["lr"])
            g = opt.param_groups[0]
            moms.append(g["betas"][0] if beta else g.get("momentum", 0.0))
            opt.step()
            if metrics is None:
                sched.step()
            else:
                sched.step(metrics[i])
        out[f"{name}.lr"] = torch.tensor(lrs, dtype=torch.float64)
        out[f"{name}.momentum"] = torch.tensor(moms, dtype=torch.float64)

    sgd = lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9)
    adam = lambda ps: torch.optim.Adam(ps, lr=1e-3)
    run("step", sgd, lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=3, gamma=0.5), 12)
    run("exp", sgd, lambda o: torch.optim.lr_scheduler.ExponentialLR(o, gamma=0.9), 12)
    run("cosine", sgd, lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=7, eta_min=0.001), 30)
    run("onecycle", sgd, lambda o: torch.optim.lr_scheduler.OneCycleLR(o, max_lr=0.5, total_steps=40), 40)
    run("onecycle_adam", adam,
        lambda o: torch.optim.lr_scheduler.OneCycleLR(o, max_lr=0.01, total_steps=25, pct_start=0.25,
                                                      anneal_strategy="linear", three_phase=True), 25, beta=True)
    metrics = [1.0, 0.9, 0.95, 0.95, 0.95, 0.89, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.5, 0.5, 0.5, 0.5]
    out["plateau.metrics"] = torch.tensor(metrics, dtype=torch.float64)
    run("plateau", sgd,
        lambda o: torch.optim.lr_scheduler.ReduceLROnPlateau(o, factor=0.5, patience=2, cooldown=1, min_lr=0.02),
        len(metrics), metrics=metrics)
    save_file(out, DIR + "nn_sched_torch.safetensors")


if __name__ == "__main__":
    layer_fixtures()
    resnet_fixture()
    sched_fixtures()
