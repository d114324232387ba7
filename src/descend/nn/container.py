"""Containers: Sequential runs modules one after another; ModuleList just holds them."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from descend.nn.module import Module


class Sequential(Module):
    """Modules applied in order, each to the output of the one before.

    Children are named ``"0"``, ``"1"``, ... (or by the keys of a dict), so parameter
    names are ``0.weight``, ``2.bias`` as in PyTorch.

    Examples
    --------
    >>> model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
    >>> model(ds.randn(5, 4)).shape
    (5, 1)
    >>> model[0]
    Linear(4, 8)  # 40 parameters
    """

    def __init__(self, *modules: Module) -> None:
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], dict):
            for name, module in modules[0].items():
                self.add_module(name, module)
        else:
            for index, module in enumerate(modules):
                self.add_module(str(index), module)

    def forward(self, x):
        for module in self._modules.values():
            x = module(x)
        return x

    def append(self, module: Module) -> Sequential:
        """Add ``module`` at the end."""
        self.add_module(str(len(self._modules)), module)
        return self

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __getitem__(self, index: int | slice) -> Module:
        items = list(self._modules.items())
        if isinstance(index, slice):
            return Sequential(dict(items[index]))
        try:
            return items[index][1]
        except (IndexError, TypeError):
            raise IndexError(
                f"Sequential index {index!r} out of range for {len(items)} modules"
            ) from None


class ModuleList(Module):
    """A list of modules whose parameters are registered (a plain list would hide them).

    Examples
    --------
    >>> layers = nn.ModuleList(nn.Linear(4, 4) for _ in range(3))
    >>> len(list(layers.parameters()))
    6
    """

    def __init__(self, modules: Iterable[Module] = ()) -> None:
        super().__init__()
        for module in modules:
            self.append(module)

    def append(self, module: Module) -> ModuleList:
        self.add_module(str(len(self._modules)), module)
        return self

    def extend(self, modules: Iterable[Module]) -> ModuleList:
        for module in modules:
            self.append(module)
        return self

    def forward(self, *args, **kwargs):
        raise NotImplementedError(
            "ModuleList holds modules but has no forward(); call its items in your forward()"
        )

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __getitem__(self, index: int) -> Module:
        try:
            return list(self._modules.values())[index]
        except (IndexError, TypeError):
            raise IndexError(
                f"ModuleList index {index!r} out of range for {len(self._modules)} modules"
            ) from None
