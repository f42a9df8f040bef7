"""`medspa consents-verify`: recompute every submitted form's hashes; non-zero exit names each mismatch."""

from medspa.consents.services import consents_verify
from medspa.core.verification import VerifyCommand


class Command(VerifyCommand):
    help = "Verify that every submitted form and consent still matches what was signed."
    noun = "submissions"
    action = "consents.verified"
    intact = "Submitted forms intact"
    verify = staticmethod(consents_verify)
