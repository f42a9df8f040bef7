from medspa.charting.tests.fixtures import other_world, world  # noqa: F401
