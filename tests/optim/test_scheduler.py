"""The LRScheduler base: the initial step, call order, checkpoints, no patching."""

import warnings

import pytest

import descend as ds
from descend import optim
from descend.optim.lr_scheduler import ExponentialLR, LRScheduler, StepLR


def sgd(lr=1.0, groups=1):
    tensors = [ds.tensor([1.0], requires_grad=True) for _ in range(groups)]
    return optim.SGD([{"params": [t]} for t in tensors], lr=lr)


class Halving(LRScheduler):
    """A minimal subclass: the base does everything but the learning rate of an epoch."""

    def get_lr(self):
        return [base * 0.5**self.last_epoch for base in self.base_lrs]


def test_construction_is_the_first_step():
    opt = sgd(lr=0.8)
    scheduler = Halving(opt)
    assert scheduler.last_epoch == 0 and scheduler.base_lrs == [0.8]
    assert opt.param_groups[0]["initial_lr"] == 0.8
    assert scheduler.get_last_lr() == [0.8]
    opt.step()
    scheduler.step()
    assert scheduler.last_epoch == 1 and opt.param_groups[0]["lr"] == 0.4


def test_get_last_lr_is_a_copy():
    opt = sgd()
    scheduler = Halving(opt)
    scheduler.get_last_lr().append(5.0)
    assert scheduler.get_last_lr() == [1.0]


def test_the_optimizer_is_not_patched():
    opt = sgd()
    attributes = dict(vars(opt))
    StepLR(opt, step_size=2)
    assert vars(opt).keys() == attributes.keys()
    assert "step" not in vars(opt) and type(opt).step is optim.SGD.step


def test_warns_when_stepped_before_the_optimizer():
    scheduler = Halving(sgd())
    with pytest.warns(UserWarning, match=r"before optimizer.step\(\)"):
        scheduler.step()
    opt = sgd()
    scheduler = Halving(opt)
    opt.step()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scheduler.step()
        scheduler.step()


def test_resuming_needs_initial_lr():
    with pytest.raises(KeyError, match="no 'initial_lr'"):
        Halving(sgd(), last_epoch=4)
    opt = sgd(lr=0.5)
    opt.param_groups[0]["initial_lr"] = 1.0
    scheduler = Halving(opt, last_epoch=2)  # the constructor's step makes it epoch 3
    assert scheduler.last_epoch == 3 and scheduler.get_last_lr() == [0.125]


def test_state_dict_round_trip_and_unknown_keys():
    opt = sgd()
    scheduler = ExponentialLR(opt, gamma=0.5)
    opt.step()
    scheduler.step()
    saved = scheduler.state_dict()
    assert "optimizer" not in saved and saved["last_epoch"] == 1
    other_opt = sgd()
    other = ExponentialLR(other_opt, gamma=0.9)
    other.load_state_dict(saved)
    other_opt.load_state_dict(opt.state_dict())
    assert other.gamma == 0.5 and other.get_last_lr() == [0.5]
    other_opt.step()
    other.step()
    assert other_opt.param_groups[0]["lr"] == 0.25
    with pytest.raises(ValueError, match=r"unexpected keys \['T_max'\]"):
        other.load_state_dict({**saved, "T_max": 3})


def test_needs_a_descend_optimizer():
    with pytest.raises(TypeError, match="StepLR expected a descend Optimizer, got list"):
        StepLR([], step_size=1)
