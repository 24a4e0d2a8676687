"""Staff roles and the permissions each one carries (data, applied by ``services.sync_roles``)."""

from django.db import models


class Role(models.TextChoices):
    DESK_OFFICER = "desk_officer", "Cán bộ một cửa"
    SPECIALIST = "specialist", "Chuyên viên xử lý"
    LEADER = "leader", "Lãnh đạo phê duyệt"
    CLERK = "clerk", "Văn thư"
    POSTAL_STAFF = "postal_staff", "Nhân viên bưu chính công ích"
    CATALOG_ADMIN = "catalog_admin", "Quản trị danh mục (Văn phòng UBND tỉnh)"
    INSPECTOR = "inspector", "Thanh tra, giám sát"


_CATALOG_MODELS = ["field", "procedure", "procedureversion", "component", "resulttype", "fee", "processstep"]
_ORG_MODELS = [
    "administrativelevel",
    "administrativeunit",
    "agency",
    "agencyrename",
    "desk",
    "counter",
    "staffmembership",
]
_CALENDAR_MODELS = ["dayoverride", "officehours"]


def _perms(app: str, models_: list[str], actions: tuple[str, ...]) -> list[str]:
    return [f"{app}.{action}_{model}" for model in models_ for action in actions]


_VIEW_CATALOG = _perms("catalog", _CATALOG_MODELS, ("view",))
_VIEW_ALL = _VIEW_CATALOG + _perms("org", _ORG_MODELS, ("view",)) + _perms("workcalendar", _CALENDAR_MODELS, ("view",))

# Permissions by role. Later issues add dossier permissions (receive, approve, sign, return...).
ROLE_PERMISSIONS: dict[str, list[str]] = {
    Role.DESK_OFFICER: _VIEW_CATALOG,
    Role.SPECIALIST: _VIEW_CATALOG,
    Role.LEADER: _VIEW_CATALOG,
    Role.CLERK: _VIEW_CATALOG,
    Role.POSTAL_STAFF: _VIEW_CATALOG,
    Role.CATALOG_ADMIN: (
        _perms("catalog", _CATALOG_MODELS, ("view", "add", "change", "delete"))
        + _perms("org", _ORG_MODELS, ("view", "add", "change"))
        + _perms("workcalendar", _CALENDAR_MODELS, ("view", "add", "change", "delete"))
        + _perms("engagement", ["servicegroup"], ("view", "add", "change"))
        + _perms("engagement", ["ticket"], ("view",))
        + _perms("engagement", ["slotrule"], ("view", "add", "change", "delete"))
        + _perms("reports", ["dailyflow"], ("view",))
        + _perms("privacy", ["breach"], ("view", "add", "change"))
        + _perms("audit", ["auditentry"], ("view",))
    ),
    Role.INSPECTOR: _VIEW_ALL
    + _perms("engagement", ["servicegroup", "ticket", "appointment", "rating", "feedback"], ("view",))
    + _perms("reports", ["dailyflow"], ("view",))
    + _perms("audit", ["auditentry"], ("view",)),
}

# Roles whose holders may enter the Django admin (catalog maintenance, oversight).
ADMIN_SITE_ROLES = {Role.CATALOG_ADMIN, Role.INSPECTOR}
