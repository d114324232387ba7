"""Fit y = w0 + w1 * x by plain gradient descent, with nothing but descend's Tensor.

The seven steps of every training loop, written out by hand:
initialise, forward pass, loss per sample, cost, backpropagation, update, repeat.

    python examples/linear_regression.py
"""

import numpy as np

import descend as ds

TRUE_W0, TRUE_W1 = 4.0, -2.5
rng = np.random.default_rng(0)
x = rng.uniform(-3, 3, size=200).astype(np.float32)
y = (TRUE_W0 + TRUE_W1 * x + rng.normal(0, 0.5, size=200)).astype(np.float32)
x, y = ds.tensor(x), ds.tensor(y)

# 1. initialise: a linear model's cost is a convex bowl, so zeros are a fine start
w0 = ds.zeros((), requires_grad=True)
w1 = ds.zeros((), requires_grad=True)
lr = 0.1

for epoch in range(101):
    prediction = w0 + w1 * x  # 2. forward pass
    losses = (prediction - y) ** 2  # 3. squared error of each sample
    cost = losses.mean()  # 4. cost: the mean of the losses
    w0.grad = w1.grad = None
    cost.backward()  # 5. backpropagation: d(cost)/d(w0), d(cost)/d(w1)
    # 6. simultaneous update: both weights step against their gradient at once
    w0.data -= lr * w0.grad
    w1.data -= lr * w1.grad
    if epoch % 10 == 0:
        print(
            f"epoch {epoch:3d}  cost {cost.item():9.5f}  "
            f"dcost/dw0 {w0.grad.item():+8.4f}  dcost/dw1 {w1.grad.item():+8.4f}"
        )

print(f"learned  w0 = {w0.item():+.4f}   w1 = {w1.item():+.4f}")
print(f"true     w0 = {TRUE_W0:+.4f}   w1 = {TRUE_W1:+.4f}")
