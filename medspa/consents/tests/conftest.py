from medspa.consents.tests.fixtures import forms_world, other_forms_world  # noqa: F401
