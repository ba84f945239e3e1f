from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.forms import UserChangeAdminForm, UserCreationAdminForm
from accounts.models import EndReason, LoginSession, User
from accounts.services import sessions_end

SESSION_FIELDS = (
    "id",
    "created_at",
    "last_used_at",
    "idle_expires_at",
    "expires_at",
    "ended_at",
    "end_reason",
    "user_agent",
    "ip_address",
)


class LoginSessionInline(admin.TabularInline):
    """A user's sessions on their page, read-only: end them from the sessions list."""

    model = LoginSession
    fields = SESSION_FIELDS
    readonly_fields = SESSION_FIELDS
    extra = 0
    can_delete = False
    show_change_link = True
    ordering = ("-created_at",)

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Django's user admin, adapted to users identified by email address."""

    form = UserChangeAdminForm
    add_form = UserCreationAdminForm
    inlines = (LoginSessionInline,)
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (
            _("Permissions"),
            {
                "fields": (
                    "is_active",
                    "is_staff",
                    "is_superuser",
                    "groups",
                    "user_permissions",
                )
            },
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "usable_password", "password1", "password2"),
            },
        ),
    )
    list_display = ("email", "is_staff", "is_active", "last_login", "date_joined")
    list_filter = ("is_staff", "is_superuser", "is_active", "groups")
    search_fields = ("email",)
    ordering = ("email",)
    readonly_fields = ("last_login", "date_joined")

    def get_inlines(self, request, obj):
        # Sessions exist only for a saved user: none on the "add user" page.
        return self.inlines if obj is not None else ()


@admin.register(LoginSession)
class LoginSessionAdmin(admin.ModelAdmin):
    """Every login session; the "End selected sessions" action logs those devices out."""

    list_display = ("user", "created_at", "last_used_at", "ended_at", "end_reason", "ip_address")
    list_filter = ("end_reason", "ended_at")
    list_select_related = ("user",)
    search_fields = ("user__email", "ip_address")
    fields = ("user", *SESSION_FIELDS)
    readonly_fields = ("user", *SESSION_FIELDS)
    ordering = ("-created_at",)
    actions = ("end_sessions",)

    def has_add_permission(self, request) -> bool:
        return False

    def get_actions(self, request):
        # Ending keeps the row and its reason; deleting is for purge_sessions.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.action(description=_("End selected sessions"), permissions=["change"])
    def end_sessions(self, request, queryset) -> None:
        ended = sessions_end(sessions=queryset, reason=EndReason.ADMIN)
        self.message_user(
            request,
            ngettext("%d session ended.", "%d sessions ended.", ended) % ended,
            messages.SUCCESS,
        )
