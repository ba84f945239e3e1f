from django.utils.translation import gettext_lazy as _
from rest_framework import status
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import JWTAuthentication
from accounts.serializers import LoginSerializer, MeSerializer, TokenSerializer
from accounts.services import token_obtain, user_tokens_revoke
from accounts.throttling import LoginAddressThrottle, LoginEmailThrottle


class LoginView(APIView):
    """Exchange an email and password for an access token."""

    authentication_classes = ()
    permission_classes = (AllowAny,)
    throttle_classes = (LoginAddressThrottle, LoginEmailThrottle)

    def post(self, request):
        serializer = LoginSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        token = token_obtain(request=request, **serializer.validated_data)
        if token is None:
            raise AuthenticationFailed(_("The email or password is incorrect."))
        body = {"access_token": token.value, "token_type": "Bearer", "expires_in": token.expires_in}
        return Response(TokenSerializer(body).data, headers={"Cache-Control": "no-store"})

    def get_authenticate_header(self, request) -> str:
        # A 401 must name a scheme (RFC 9110); this one has no authenticator of its own.
        return JWTAuthentication().authenticate_header(request)


class LogoutView(APIView):
    """Revoke every token of the calling admin."""

    def post(self, request):
        user_tokens_revoke(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(APIView):
    """The admin the token belongs to."""

    def get(self, request):
        return Response(MeSerializer(request.user).data)
