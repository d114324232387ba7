"""What the learning curves say: under-fitting, over-fitting, a good fit, not yet converged,
or diverged, with the numbers the reading rests on.

The readings are the ones a teacher makes by eye (see e.g. "How to use Learning Curves
to Diagnose Machine Learning Model Performance"), made with explicit thresholds:

- diverged: the training loss became NaN or infinite, or ended above where it started
  and more than twice its lowest value (the start counted);
- over-fitting: after its lowest value the validation loss rose by ``RISE`` (5%) or
  more (over its last three epochs on average, and in the last), or it ended ``GAP``
  (10) times the training loss or more, while the training loss kept falling; the
  epoch named is the one with the lowest validation loss;
- under-fitting: the training loss is still above ``HIGH`` (half) of its value at the
  start, the loss of the untrained model, falling or not (when it still falls by more
  than ``RECENT`` of its value per epoch, the advice is to train longer);
- not converged yet: it is lower, but still falling: the last fifth of the epochs
  brought more than ``RECENT`` (5%) of its whole fall, and more than ``STILL`` (1%) of
  its value per epoch;
- good fit: it levelled off lower, and the validation loss does not rise.

A good fit, and under-fitting that has levelled off, name the epoch from which the
training loss stayed within ``SETTLED`` (5%) of its whole fall (or ``STILL`` of its
value) from its final value.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

KINDS = ("diverged", "over-fitting", "under-fitting", "not converged yet", "good fit")
RISE = 0.05
GAP = 10.0
HIGH = 0.5
RECENT = 0.05
STILL = 0.01
SETTLED = 0.05


@dataclass(frozen=True)
class Diagnosis:
    """One reading of the curves.

    Attributes
    ----------
    kind : str
        One of ``KINDS``.
    line : str
        The reading in words and numbers, beginning with ``diagnosis:``.
    epoch : int or None
        The epoch the reading names (where over-fitting began, the loss levelled off,
        or the run diverged).
    """

    kind: str
    line: str
    epoch: int | None = None

    def __str__(self) -> str:
        return self.line


def diagnose(history) -> Diagnosis | None:
    """Read the learning curves of ``history``; None when it has no finished epoch.

    ``History`` makes one at the end of training and keeps it in its events.

    Examples
    --------
    >>> history = ds.History.from_dict({"epoch": [1, 2, 3, 4], "loss": [1.0, 0.5, 0.3, 0.2],
    ...                                 "val_loss": [1.0, 0.6, 0.7, 0.9]})
    >>> print(diagnose(history))
    diagnosis: over-fitting from epoch 2: validation loss rose from 0.6 to 0.9 (+50%) by
    epoch 4 while training loss fell from 0.5 to 0.2
    """
    epochs, loss = list(history.epochs), list(history.records.get("loss", []))
    if not epochs or not loss:
        return None
    start = _start(history, loss)
    val = _finite(epochs, history.records.get("val_loss", []))
    found = _diverged(history, epochs, loss, start) or _over_fitting(epochs, loss, val)
    if found is not None:
        return found
    at = _level(epochs, loss, start)
    return _under_fitting(at, val) or _not_converged(at, val) or _good_fit(at, val)


def _start(history, loss: list) -> float:
    """The loss of the untrained model: the mean cost of the first few updates, up to one
    that is more than twice the first (a loss that blows up at once did not start there)."""
    per_epoch = history.plan.get("updates_per_epoch") or 5
    head = []
    for value in history.step_loss[: min(5, per_epoch)]:
        if not math.isfinite(value) or (head and value > 2 * head[0]):
            break
        head.append(value)
    return sum(head) / len(head) if head else loss[0]


def _finite(epochs, values) -> list[tuple[int, float]]:
    return [(e, v) for e, v in zip(epochs, values) if math.isfinite(v)]


def _diverged(history, epochs, loss, start) -> Diagnosis | None:
    events = history.events
    if "diverged_step" in events:
        said = events.get("diverged") or f"the loss blew up at step {events['diverged_step']}"
        return Diagnosis("diverged", f"diagnosis: diverged: {said}", events.get("diverged_epoch"))
    finite = _finite(epochs, loss)
    bad = next(((e, v) for e, v in zip(epochs, loss) if not math.isfinite(v)), None)
    if bad is not None:
        before = [(e, v) for e, v in finite if e < bad[0]]
        was = f" (it was {before[-1][1]:.4g} in epoch {before[-1][0]})" if before else ""
        line = (
            f"diagnosis: diverged: the training loss became {bad[1]} in epoch {bad[0]}{was}; "
            f"lower the learning rate"
        )
        return Diagnosis("diverged", line, bad[0])
    low_epoch, low = min(finite, key=lambda pair: pair[1])
    end = loss[-1]
    if end > start and end > 2 * min(low, start):
        where = f"{low:.4g} (epoch {low_epoch})" if low < start else f"its starting {start:.4g}"
        line = (
            f"diagnosis: diverged: the training loss rose from {where} to {end:.4g} (epoch "
            f"{epochs[-1]}), {_times(end / start)} its starting {start:.4g}; lower the "
            f"learning rate"
        )
        return Diagnosis("diverged", line, low_epoch if low < start else None)
    return None


def _times(ratio: float) -> str:
    """``'2.4e+07 times'``, ``'3.1 times'``, or ``'above'`` for less than twice."""
    return f"{ratio:.2g} times" if ratio >= 2 else "above"


def _over_fitting(epochs, loss, val) -> Diagnosis | None:
    if len(val) < 2:
        return None
    best_epoch, lowest = min(val, key=lambda pair: pair[1])
    last_epoch, last = val[-1]
    train_then, train_now = loss[epochs.index(best_epoch)], loss[epochs.index(last_epoch)]
    after = [v for e, v in val if e > best_epoch][-3:]
    risen = bool(after) and min(last, sum(after) / len(after)) > lowest * (1 + RISE)
    ratio = last / train_now if train_now > 0 else math.inf
    apart = bool(after) and ratio >= GAP
    if not (risen or apart) or not train_now < train_then:
        return None
    rise = f"{(last - lowest) / lowest:+.0%}" if lowest > 0 else f"{last - lowest:+.4g}"
    line = (
        f"diagnosis: over-fitting from epoch {best_epoch}: validation loss rose from "
        f"{lowest:.4g} to {last:.4g} ({rise}) by epoch {last_epoch} while training loss "
        f"fell from {train_then:.4g} to {train_now:.4g}"
    )
    if not risen:  # the gap is the sign
        line += f"; validation loss is now {ratio:.0f} times the training loss"
    return Diagnosis("over-fitting", line, best_epoch)


@dataclass(frozen=True)
class _Level:
    """Where the training loss ended and how it got there, for the last three readings."""

    epochs: list
    loss: list
    start: float  # the untrained model's loss
    before: float  # the loss ``recent`` epochs before the end (or the start)
    recent: int  # the epochs of the last fifth of the run
    share: float  # of the whole fall from the start, what the recent epochs brought
    per_epoch: float  # the recent fall per epoch, as a share of ``before``
    level: float  # the end as a share of the start
    last: str  # "the last 2 epochs", "the last epoch", "its first epoch"

    @property
    def end(self) -> float:
        return self.loss[-1]

    @property
    def trend(self) -> str:
        way = "falling" if self.per_epoch >= 0 else "rising"
        return f"{way} {_percent(abs(self.per_epoch))} per epoch over {self.last}"


def _level(epochs, loss, start) -> _Level:
    n, end = len(loss), loss[-1]
    recent = max(1, n // 5)
    before = loss[-1 - recent] if n > recent else start
    fall = start - end
    last = f"the last {recent} epochs" if recent > 1 else "the last epoch"
    return _Level(
        epochs,
        loss,
        start,
        before,
        recent,
        share=(before - end) / fall if fall > 0 else 0.0,
        per_epoch=(before - end) / before / recent if before > 0 else 0.0,
        level=end / start if start > 0 else 0.0,
        last="its first epoch" if n <= recent else last,
    )


def _under_fitting(at: _Level, val) -> Diagnosis | None:
    """Still above ``HIGH`` of the start: whether or not it creeps down, it learned little."""
    if at.level <= HIGH:
        return None
    n = len(at.loss)
    val_said = f"; validation loss {val[-1][1]:.4g}" if val else ""
    if at.per_epoch > RECENT:  # high, but coming down fast: it has not had the time
        advice = "it is still falling fast: train longer, or try a larger learning rate"
    else:
        advice = (
            "the model learns too little: try a larger learning rate or a bigger model, "
            "and look at its gradients"
        )
    line = (
        f"diagnosis: under-fitting: after {n} epoch{'s' * (n != 1)} the training loss "
        f"{at.end:.4g} is still {_percent(at.level)} of its starting {at.start:.4g} "
        f"({at.trend}){val_said}; {advice}"
    )
    settled = _settled_epoch(at.epochs, at.loss, at.start) if at.per_epoch <= STILL else None
    return Diagnosis("under-fitting", line, settled)


def _not_converged(at: _Level, val) -> Diagnosis | None:
    """Lower, but the last fifth brought more than ``RECENT`` of the fall, ``STILL`` a epoch."""
    if not (at.share > RECENT and at.per_epoch > STILL):
        return None
    val_fall = f"; validation loss {val[0][1]:.4g} -> {val[-1][1]:.4g}" if val else ""
    line = (
        f"diagnosis: not converged yet: the training loss is still falling, "
        f"{at.before:.4g} -> {at.end:.4g} in {at.last} ({_percent(at.per_epoch)} per epoch, "
        f"{_percent(at.share)} of its whole fall from {at.start:.4g}){val_fall}; train longer"
    )
    return Diagnosis("not converged yet", line)


def _good_fit(at: _Level, val) -> Diagnosis:
    """Levelled off lower, and (the readings before say) the validation loss does not rise."""
    if val:
        best_epoch, lowest = min(val, key=lambda pair: pair[1])
        checked = (
            f"; validation loss {val[-1][1]:.4g} ({val[-1][1] - at.end:+.4g} from training), "
            f"lowest {lowest:.4g} in epoch {best_epoch}, not rising"
        )
    else:
        checked = "; no validation data to check for over-fitting"
    settled = _settled_epoch(at.epochs, at.loss, at.start)
    brought = f"{at.last} brought {_percent(max(at.share, 0.0))} of its whole fall"
    line = (
        f"diagnosis: good fit: the training loss levelled off at {at.end:.4g} from epoch "
        f"{settled}, {_percent(at.level)} of its starting {at.start:.4g} ({brought}){checked}"
    )
    return Diagnosis("good fit", line, settled)


def _percent(fraction: float) -> str:
    """``58%``, ``0.24%``: two significant digits below 10%."""
    return f"{fraction:.0%}" if abs(fraction) >= 0.1 else f"{100 * fraction:.2g}%"


def _settled_epoch(epochs, loss, start) -> int:
    """The first epoch from which the loss stays near its end: within ``SETTLED`` of its
    whole fall, or ``STILL`` of its final value, whichever is wider."""
    end = loss[-1]
    margin = max(SETTLED * (start - end), STILL * abs(end))
    settled, highest = epochs[-1], -math.inf
    for epoch, value in zip(reversed(epochs), reversed(loss)):
        highest = max(highest, value)
        if highest - end > margin:
            break
        settled = epoch
    return settled
