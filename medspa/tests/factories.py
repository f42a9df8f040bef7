"""factory_boy factories for the shared kernel and staff accounts."""

import factory

from medspa.accounts.models import Membership, User
from medspa.core.models import Clinic, Location
from medspa.core.permissions import Role

PASSWORD = "correct horse battery staple"


class ClinicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Clinic
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Clinic {n}")
    slug = factory.Sequence(lambda n: f"clinic-{n}")
    timezone = "America/New_York"
    require_mfa = False


class LocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Location

    clinic = factory.SubFactory(ClinicFactory)
    name = factory.Sequence(lambda n: f"Location {n}")
    timezone = "America/New_York"
    city = "New York"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("email",)
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@test.example")
    first_name = "Test"
    last_name = factory.Sequence(lambda n: f"User{n}")

    @factory.post_generation
    def password(self, create, extracted, **kwargs):
        self.set_password(extracted or PASSWORD)
        if create:
            self.save(update_fields=["password"])


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    clinic = factory.SubFactory(ClinicFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.OWNER
