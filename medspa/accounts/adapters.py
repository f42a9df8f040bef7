"""allauth adapters: staff join by invitation only; MFA labels name the product."""

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        """Nobody signs up on their own: staff accounts come from clinic invitations."""
        return False


class MfaAdapter(DefaultMFAAdapter):
    def get_totp_issuer(self) -> str:
        return "Medspa"
