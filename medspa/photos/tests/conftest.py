import pytest


@pytest.fixture(autouse=True)
def _decode_in_process(settings):
    """Decode in-process for speed; the FILE-2 tests turn the worker back on."""
    settings.FILE_DECODE_IN_WORKER = False
