"""Drawing a Landscape: what the picture shows is what descend.landscape computed."""

import numpy as np
import pytest
from matplotlib.colors import to_hex

from descend import plot
from descend.landscape import compute_landscape
from descend.plot.landscape import loss_landscape_figure
from tests.plot.png import assert_picture


@pytest.fixture(scope="module")
def lr_landscape():
    return compute_landscape("linear", "lr", resolution=41)


def _legend(ax) -> list[str]:
    return [t.get_text() for t in ax.get_legend().get_texts()]


def test_the_picture_draws_the_computed_paths(tmp_path, lr_landscape):
    land = lr_landscape
    figure = loss_landscape_figure(land)
    contour_ax, slice_ax = figure.axes[0], figure.axes[2]  # axes[1] is the colour bar
    labels = _legend(contour_ax)
    assert any("(too large): diverges" in label and "leaves the plot" in label for label in labels)
    assert "minimum (least squares): (1.56, 2.07)" in labels
    good = next(line for line in contour_ax.lines if line.get_label().startswith("lr=0.135 (good)"))
    np.testing.assert_array_equal(good.get_xdata(), land.paths[1].weights[:, 0])
    tangent = next(line for line in slice_ax.lines if line.get_label().startswith("tangent"))
    (t0, t1), (c0, c1) = tangent.get_xdata(), tangent.get_ydata()
    np.testing.assert_allclose((c1 - c0) / (t1 - t0), land.gradient[1])
    assert contour_ax.get_xlim() == (land.w0[0], land.w0[-1])
    assert figure._suptitle.get_text().startswith("Loss landscape of linear regression")
    assert_picture(plot.loss_landscape(land, tmp_path / "landscape.png"), min_size=(1200, 550))


def test_minima_are_marked_and_each_run_says_where_it_ended(tmp_path):
    land = compute_landscape("local-minimum", "optimizers", resolution=31)
    figure = loss_landscape_figure(land)
    ax = figure.axes[0]
    stars = {to_hex(line.get_color()): line for line in ax.lines if line.get_marker() == "*"}
    glob, local = land.minima
    np.testing.assert_allclose(
        np.column_stack([stars["#ffffff"].get_xdata(), stars["#ffffff"].get_ydata()]),
        [glob.weights],
    )
    np.testing.assert_allclose(
        np.column_stack([stars["#909090"].get_xdata(), stars["#909090"].get_ydata()]),
        [local.weights],
    )
    labels = _legend(ax)
    assert any(
        label.startswith("SGD lr=1.85:") and label.endswith("→ local minimum") for label in labels
    )
    assert any(
        label.startswith("momentum 0.9") and label.endswith("→ global minimum") for label in labels
    )
    assert any(label.startswith("local minimum (0.54, 0.63), cost 0.123") for label in labels)
    texts = [t.get_text() for t in ax.texts]
    assert "local\n(0.54, 0.63)" in texts and "global\n(-1.40, 1.01)" in texts
    assert figure._suptitle.get_text().startswith("Loss landscape of one Gaussian unit")
    assert_picture(plot.loss_landscape(land, tmp_path / "local.png"), min_size=(1200, 550))


def test_several_starts_are_lettered_and_the_legend_stays_short(tmp_path):
    land = compute_landscape("himmelblau", "lr", epochs=20, resolution=31)
    figure = loss_landscape_figure(land)
    ax = figure.axes[0]
    labels = _legend(ax)
    # One entry per setting and per start, not one per run (12 runs here).
    assert sum(label.startswith("lr=") for label in labels) == 3
    assert [label for label in labels if label.startswith("paths from start")] == [
        f"paths from start {name} ({s[0]:g}, {s[1]:g}), cost {c:.3g}"
        for name, s, c in zip("ABCD", land.starts, land.start_costs)
    ]
    assert any(label.startswith("4 global minima, cost 0") for label in labels)
    assert {"A", "B", "C", "D"} <= {t.get_text() for t in ax.texts}
    assert "from 4 starts" in figure._suptitle.get_text()
    assert "20 updates each" in figure._suptitle.get_text()
    assert_picture(plot.loss_landscape(land, tmp_path / "himmelblau.png"), min_size=(1200, 550))


def test_the_downhill_arrow_stays_in_the_window():
    land = compute_landscape("local-minimum", "optimizers", epochs=3, resolution=21)
    ax = loss_landscape_figure(land).axes[0]
    (arrow,) = [a for a in ax.texts if a.get_text() == "" and a.arrow_patch is not None]
    tip = np.array(arrow.xy)
    assert land.w0[0] <= tip[0] <= land.w0[-1] and land.w1[0] <= tip[1] <= land.w1[-1]
    direction = (tip - land.start) / np.linalg.norm(tip - land.start)
    np.testing.assert_allclose(direction, -land.gradient / np.linalg.norm(land.gradient))


def test_loss_landscape_wants_a_landscape(tmp_path):
    with pytest.raises(TypeError, match="expected a Landscape from compute_landscape"):
        plot.loss_landscape("linear", tmp_path / "x.png")


def test_ds_plot_keeps_the_names_it_had():
    import descend.landscape as landscape

    assert plot.compute_landscape is landscape.compute_landscape
    assert plot.Landscape is landscape.Landscape and plot.make_data is landscape.make_data


def test_with_several_starts_the_legend_names_each_settings_outcomes():
    land = compute_landscape("himmelblau", "lr", resolution=21)
    labels = _legend(loss_landscape_figure(land).axes[0])
    assert "lr=0.0213: good (A, B), too large (C, D)" in labels
    assert not any(label.endswith("(too large)") or "(good)" in label for label in labels)
