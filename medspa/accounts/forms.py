from django import forms

from medspa.core.permissions import Role


class InviteForm(forms.Form):
    email = forms.EmailField(label="Email address")
    role = forms.ChoiceField(choices=[("", "Choose a role…"), *Role.choices], label="Role")


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices, label="Role")


class AcceptInvitationForm(forms.Form):
    first_name = forms.CharField(max_length=80, label="First name")
    last_name = forms.CharField(max_length=80, required=False, label="Last name")
    password = forms.CharField(
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}), label="Choose a password"
    )
