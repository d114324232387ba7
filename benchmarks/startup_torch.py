"""`descend train` with its defaults, written as a plain PyTorch script: what
``benchmarks/startup.py`` times against the whole ``descend train`` process.

    python benchmarks/startup_torch.py OUT [--epochs 1] [--no-pictures]

The same work, as a PyTorch user would write it: descend's built-in digits file (read
with NumPy), a stratified 60/20/20 split, features standardised with the training
part's statistics, an MLP 64-128-64-10 (ReLU, PyTorch's default init), Adam lr=0.001,
batch 32, shuffled; every epoch the validation loss, accuracy and macro F1, and each
tensor's gradient norm, update-to-weight ratio and weight norm at the epoch's first
update; at the end loss, accuracy and F1 on the three parts; the weights, the scaler and
a checkpoint (weights and Adam's state) as safetensors, the history as CSV and JSON, the
metrics as JSON, and the two pictures descend draws (learning curves; gradients on log
axes) with matplotlib's pyplot, as scripts do. Like ``descend train`` it prints a plan
line on stdout before training and one line per epoch on stderr, so that startup.py can
split its time the same way.
"""

import argparse
import csv
import gzip
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import save_file
from torch import nn

DIGITS = Path(__file__).parents[1] / "src/descend/data/builtin_data/digits.csv.gz"


def stratified_split(y, share, rng):
    """Indices (rest, held out), each class held out in proportion ``share``."""
    held = []
    for label in np.unique(y):
        members = rng.permutation(np.flatnonzero(y == label))
        held.append(members[: round(share * len(members))])
    held = np.concatenate(held)
    rest = np.setdiff1d(np.arange(len(y)), held)
    return rng.permutation(rest), rng.permutation(held)


def macro_f1(y, pred, n_classes=10):
    scores = []
    for c in range(n_classes):
        tp = np.sum((pred == c) & (y == c))
        denominator = np.sum(pred == c) + np.sum(y == c)
        scores.append(2 * tp / denominator if denominator else 0.0)
    return float(np.mean(scores))


def evaluate(model, loss_fn, X, y):
    with torch.no_grad():
        logits = model(X)
        pred = logits.argmax(1).numpy()
        return {
            "loss": loss_fn(logits, y).item(),
            "accuracy": float(np.mean(pred == y.numpy())),
            "f1": macro_f1(y.numpy(), pred),
        }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out", type=Path)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--no-pictures", action="store_true")
    args = parser.parse_args()

    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    with gzip.open(DIGITS, "rt") as file:
        table = np.loadtxt(file, delimiter=",")
    X, y = table[:, :-1], table[:, -1].astype(np.int64)
    rest, test = stratified_split(y, 0.2, rng)
    train, val = stratified_split(y[rest], 0.25, rng)
    train, val = rest[train], rest[val]
    mean, std = X[train].mean(0), X[train].std(0)
    std[std == 0] = 1.0

    def part(indices):
        features = torch.tensor((X[indices] - mean) / std, dtype=torch.float32)
        return features, torch.tensor(y[indices])

    parts = {"train": part(train), "val": part(val), "test": part(test)}
    model = nn.Sequential(
        nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 10)
    )
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    Xt, yt = parts["train"]
    print(f"mlp on digits ({len(y)} samples), adam lr=0.001; run folder {args.out}", flush=True)

    history = {"epoch": [], "loss": [], "accuracy": [], "f1": [], "val_loss": [],
               "val_accuracy": [], "val_f1": [], "step_loss": [], "gradients": []}  # fmt: skip
    names = [name for name, _ in model.named_parameters()]
    for epoch in range(1, args.epochs + 1):
        start = time.perf_counter()
        order = torch.randperm(len(Xt))
        losses, predictions = [], []
        for first in range(0, len(Xt), 32):
            batch = order[first : first + 32]
            logits = model(Xt[batch])
            loss = loss_fn(logits, yt[batch])
            optimizer.zero_grad()
            loss.backward()
            if first == 0:  # the epoch's first update: gradients, update sizes, weights
                before = [p.detach().clone() for p in model.parameters()]
            optimizer.step()
            if first == 0:
                history["gradients"].append({
                    name: {
                        "grad_norm": p.grad.norm().item(),
                        "update_ratio": ((p.detach() - b).norm() / b.norm()).item(),
                        "weight_norm": p.detach().norm().item(),
                    }
                    for name, p, b in zip(names, model.parameters(), before)
                })  # fmt: skip
            losses.append(loss.item())
            predictions.append(logits.argmax(1).numpy())
        order = order.numpy()
        predicted = np.concatenate(predictions)
        history["epoch"].append(epoch)
        history["loss"].append(float(np.mean(losses)))
        history["accuracy"].append(float(np.mean(predicted == yt.numpy()[order])))
        history["f1"].append(macro_f1(yt.numpy()[order], predicted))
        for key, value in evaluate(model, loss_fn, *parts["val"]).items():
            history[f"val_{key}"].append(value)
        history["step_loss"] += losses
        print(
            f"epoch {epoch}/{args.epochs}  loss {history['loss'][-1]:.4g}  "
            f"val_loss {history['val_loss'][-1]:.4g}  {time.perf_counter() - start:.2f}s",
            file=sys.stderr,
            flush=True,
        )

    scores = {name: evaluate(model, loss_fn, *xy) for name, xy in parts.items()}
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    save_file(dict(model.state_dict()), out / "model.safetensors")
    save_file({"mean": torch.tensor(mean), "std": torch.tensor(std)}, out / "scaler.safetensors")
    state = {f"model.{k}": v for k, v in model.state_dict().items()}
    for i, slot in optimizer.state_dict()["state"].items():
        state |= {f"adam.{i}.{k}": torch.as_tensor(v) for k, v in slot.items()}
    save_file(state, out / "checkpoint.safetensors")
    columns = [k for k in history if k not in ("step_loss", "gradients")]
    with open(out / "history.csv", "w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(columns)
        writer.writerows(zip(*(history[k] for k in columns)))
    (out / "history.json").write_text(json.dumps(history, indent=2))
    (out / "metrics.json").write_text(json.dumps(scores, indent=2))
    if not args.no_pictures:
        draw(history, names, out)
    print("          loss  accuracy  f1")
    for name, score in scores.items():
        print(f"{name:6} {score['loss']:7.4f} {score['accuracy']:9.4f} {score['f1']:.4f}")


def draw(history, names, out):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs = history["epoch"]
    steps = np.arange(1, len(history["step_loss"]) + 1) / len(history["step_loss"]) * len(epochs)
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.8), layout="constrained")
    left.plot(steps, history["step_loss"], lw=0.7, alpha=0.3, label="loss of each update")
    left.plot(epochs, history["loss"], "o-", ms=3.5, label="train loss")
    left.plot(epochs, history["val_loss"], "o--", ms=3.5, label="validation loss")
    right.plot(epochs, history["accuracy"], "o-", ms=3.5, label="train accuracy")
    right.plot(epochs, history["val_accuracy"], "o--", ms=3.5, label="validation accuracy")
    for ax, name in ((left, "loss"), (right, "accuracy")):
        ax.set(xlabel="epoch", ylabel=name, title=name.capitalize())
        ax.grid(alpha=0.3)
        ax.legend(fontsize="small")
    fig.suptitle("mlp on digits")
    fig.savefig(out / "learning_curves.png", dpi=100)
    plt.close(fig)

    fig, axes = plt.subplots(1, 3, figsize=(16, 5.2), layout="constrained")
    for ax, quantity in zip(axes, ("grad_norm", "update_ratio", "weight_norm")):
        for name in names:
            values = [record[name][quantity] for record in history["gradients"]]
            ax.plot(epochs, values, "o-", ms=3, label=name)
        ax.set_yscale("log")
        ax.set(xlabel="epoch", ylabel=quantity, title=quantity)
        ax.grid(alpha=0.3, which="both")
    axes[1].axhspan(1e-4, 1e-2, color="#999999", alpha=0.15, lw=0)
    fig.legend(*axes[0].get_legend_handles_labels(), loc="outside right center")
    fig.suptitle("Gradients: mlp on digits")
    fig.savefig(out / "gradients.png", dpi=100)
    plt.close(fig)


if __name__ == "__main__":
    main()
