"""factory_boy factories for patient records (search columns kept as the services keep them)."""

import factory

from medspa.patients.models import Allergy, Patient, PatientTag, Tag
from medspa.patients.normalize import digits, name_key, national_digits
from medspa.tests.factories import ClinicFactory


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patient

    clinic = factory.SubFactory(ClinicFactory)
    first_name = factory.Sequence(lambda n: f"Pat{n}")
    last_name = factory.Sequence(lambda n: f"Person{n}")
    preferred_name = ""
    alternate_phone = ""
    phone = factory.Sequence(lambda n: f"+1415555{n % 10000:04d}")
    email = factory.LazyAttribute(lambda p: f"{p.first_name.lower()}.{p.last_name.lower()}@example.com")
    first_key = factory.LazyAttribute(lambda p: name_key(p.first_name))
    last_key = factory.LazyAttribute(lambda p: name_key(p.last_name))
    preferred_key = factory.LazyAttribute(lambda p: name_key(p.preferred_name))
    phone_digits = factory.LazyAttribute(lambda p: national_digits(p.phone))
    phone_last4 = factory.LazyAttribute(lambda p: digits(p.phone)[-4:])
    alt_phone_digits = factory.LazyAttribute(lambda p: national_digits(p.alternate_phone))
    email_lower = factory.LazyAttribute(lambda p: p.email.lower())


class TagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tag

    clinic = factory.SubFactory(ClinicFactory)
    name = factory.Sequence(lambda n: f"Tag {n}")
    color = "#a855f7"


class PatientTagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PatientTag

    patient = factory.SubFactory(PatientFactory)
    tag = factory.SubFactory(TagFactory)
    clinic = factory.LazyAttribute(lambda pt: pt.patient.clinic)


class AllergyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Allergy

    patient = factory.SubFactory(PatientFactory)
    clinic = factory.LazyAttribute(lambda a: a.patient.clinic)
    substance = factory.Sequence(lambda n: f"Substance {n}")
    severity = "moderate"
