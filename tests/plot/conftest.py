import pytest

from tests.plot import histories


@pytest.fixture(scope="module")
def classifier_history():
    return histories.classifier_history()
