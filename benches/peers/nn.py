"""PyTorch CPU peer for benches/nn.rs: LeNet-5 training step (batch 100,
SGD momentum 0.9, cross-entropy) and inference (batch 1000), CIFAR-10 and
MNIST shapes, 2 threads.

Run: /root/peers-venv/bin/python benches/peers/nn.py
Prints one line per case: name, median ms per call, images/s.
"""
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(2)
torch.manual_seed(0)


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


def timeit(fn, warmup=1.0, measure=5.0):
    """Median seconds per call, criterion-like: warm up, then samples."""
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < warmup:
        fn()
    samples = []
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < measure or len(samples) < 10:
        s = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - s)
    return statistics.median(samples)


def main():
    for name, c, hw, pad in [("cifar10", 3, 32, 0), ("mnist", 1, 28, 2)]:
        model = LeNet5(c, pad)
        opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        x = torch.rand(100, c, hw, hw)
        y = torch.randint(0, 10, (100,))

        def step():
            opt.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            return loss.item()

        t = timeit(step)
        print(f"nn/lenet_{name}_f32/train_step/b100  {t * 1e3:8.2f} ms  {100 / t:10.0f} images/s")
        xi = torch.rand(1000, c, hw, hw)
        model.eval()

        def infer():
            with torch.no_grad():
                return model(xi)[0, 0].item()

        t = timeit(infer)
        print(f"nn/lenet_{name}_f32/inference/b1000  {t * 1e3:8.2f} ms  {1000 / t:10.0f} images/s")


if __name__ == "__main__":
    main()
