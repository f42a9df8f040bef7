"""`medspa charts-verify`: recompute every signed chart's hashes; non-zero exit names each mismatch."""

from medspa.charting.signing import verify_charts
from medspa.core.verification import VerifyCommand


class Command(VerifyCommand):
    help = "Verify that every signed chart, amendment and signed photo still matches its signatures."
    noun = "signed charts"
    action = "charts.verified"
    intact = "Signed charts intact"
    verify = staticmethod(verify_charts)
