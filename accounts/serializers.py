from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from accounts.models import User
from common.serializers import StrictCharField, StrictEmailField


class LoginSerializer(serializers.Serializer):
    email = StrictEmailField(max_length=254)
    # Bounded so a huge body costs no hashing; far above any real password.
    password = StrictCharField(max_length=1024, trim_whitespace=False)


class TokenSerializer(serializers.Serializer):
    access_token = serializers.CharField(help_text=_("A signed JWT for the Authorization header."))
    token_type = serializers.CharField(default="Bearer")
    expires_in = serializers.IntegerField(help_text=_("Seconds until the token expires."))


class MeSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ("id", "email", "is_staff")
        read_only_fields = fields
