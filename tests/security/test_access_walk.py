"""The access-control walk: every URL pattern and API route, as every staff role of *another* agency, as
another citizen and as an anonymous visitor — nobody reaches what is not theirs.

The world: a birth dossier of Nguyễn Văn An received at commune A (MC-99001), with its result document,
An's e-data store (a result, a consent), An's online draft, payment, feedback, and a report file of
commune A. The visitors belong to commune B (MC-99002) or are another citizen (Trần Thị Bình).

Every route is classified in ``ROUTES`` (a new route without a class fails ``test_every_route_is_classified``):
- ``public``: anyone; the page must still not show An's personal data (ID number, phone);
- ``staff``: staff only (anonymous → login/401/403); for another agency's staff no personal data of An;
- ``staff_object``: about one of commune A's objects → another agency's staff get 403/404;
- ``citizen``: a logged-in citizen's own pages (anonymous → login); another citizen sees nothing of An's;
- ``citizen_object``: about one of An's objects → another citizen and staff get 403/404 (or a login);
- ``machine``: called by other systems with a signature/token → without one, 4xx;
- ``auth``: the login/logout/registration flow itself.
Every request is made with GET and with POST (an empty form); a denied POST must change nothing, and no
request may answer 500. Roles reading province-wide by design (``READ_ALL_ROLES``: the provincial office,
inspectors) are walked for "no 500" and for the citizen pages only.
"""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from motcua.dossiers.models import READ_ALL_ROLES, Dossier, SavedFilter
from motcua.org.roles import Role
from tests.security.conftest import AN, other_agency_staff

# route name → class. Names are "<namespace>:<name>" as reversed.
ROUTES: dict[str, str] = {
    # public portal, kiosk, queue board, public tracking (status by code: no personal data)
    "public:home": "public",
    "public:catalog": "public",
    "public:procedure": "public",
    "public:map": "public",
    "public:queue": "public",
    "public:tracking": "public",
    "public:tracking-detail": "public",
    "public:tracking-qr": "public",
    "engagement:take": "public",
    "engagement:ticket": "public",
    "engagement:board": "public",
    "engagement:board-partial": "public",
    "engagement:kiosk": "public",
    "engagement:kiosk-procedure": "public",
    "engagement:kiosk-take": "public",
    "engagement:kiosk-checkin": "public",
    "engagement:feedback-list": "public",
    "engagement:feedback-submit": "public",
    "engagement:feedback-track": "public",
    "api:public-dossier": "public",
    "api:procedures": "public",
    "api:procedure-detail": "public",
    "api:due-date": "public",
    "schema": "public",
    "api-docs": "public",
    # machine-to-machine (signed or token-bound)
    "payments:callback": "machine",
    "external-task-result": "machine",
    "oauth2_provider:token": "machine",
    "oauth2_provider:revoke-token": "machine",
    "oauth2_provider:introspect": "machine",
    # authentication flow
    "backoffice:login": "auth",
    "backoffice:logout": "auth",
    "portal:login": "auth",
    "portal:vneid": "auth",
    "portal:vneid-callback": "auth",
    "portal:logout": "auth",
    "portal:register": "auth",
    "portal:register-confirm-base": "auth",
    "portal:register-confirm": "auth",
    # staff pages without an object in the path (lists are scoped by the access rule)
    "backoffice:home": "staff",
    "backoffice:system": "staff",
    "backoffice:catalog": "staff",
    "backoffice:catalog-import": "staff",
    "backoffice:catalog-sync": "staff",
    "backoffice:catalog-export": "staff",
    "backoffice:procedure": "staff",
    "backoffice:intake": "staff",
    "backoffice:intake-procedures": "staff",
    "backoffice:document-search": "staff",
    "work:inbox": "staff",
    "work:bulk": "staff",
    "work:bulk-options": "staff",
    "work:save-filter": "staff",
    "work:returns": "staff",
    "engagement:counter": "staff",
    "engagement:counter-waiting": "staff",
    "engagement:stats": "staff",
    "engagement:feedback-inbox": "staff",
    "national-sync": "staff",
    "reports": "staff",
    "report-dossiers": "staff",
    "report-late": "staff",
    "report-indicators": "staff",
    "report-files": "staff",
    "api:me": "staff",
    "api:dossiers": "staff",
    "api:dossier-bundles": "staff",
    "api:dossier-book": "staff",
    # staff pages about one of commune A's objects
    "work:dossier": "staff_object",
    "work:act": "staff_object",
    "work:note": "staff_object",
    "work:verify-identity": "staff_object",
    "work:slip": "staff_object",
    "work:return": "staff_object",
    "work:delete-filter": "staff_object",
    "backoffice:intake-scan": "staff_object",
    "backoffice:intake-done": "staff_object",
    "backoffice:document": "staff_object",
    "backoffice:document-status": "staff_object",
    "backoffice:document-detail": "staff_object",
    "backoffice:document-retry": "staff_object",
    "backoffice:document-version": "staff_object",
    "backoffice:document-certify": "staff_object",
    "backoffice:document-revoke": "staff_object",
    "engagement:feedback-detail": "staff_object",
    "report-file": "staff_object",
    "api:dossier-detail": "staff_object",
    "api:dossier-action": "staff_object",
    "api:dossier-slip": "staff_object",
    "api:dossier-status": "staff_object",
    "api:dossier-results": "staff_object",
    "api:dossier-result-file": "staff_object",
    # a citizen's own pages
    "portal:wallet": "citizen",
    "portal:wallet-upload": "citizen",
    "portal:consents": "citizen",
    "portal:access-log": "citizen",
    "portal:account": "citizen",
    "portal:submit": "citizen",
    "portal:my-dossiers": "citizen",
    "portal:my-data": "citizen",
    "payments:mine": "citizen",
    "payments:return": "machine",  # the gateway's signed return (the session may have expired)
    "engagement:appointments": "citizen",
    "engagement:appointment-book": "citizen",
    # about one of An's objects
    "portal:wallet-download": "citizen_object",
    "portal:consent-revoke": "citizen_object",
    "portal:draft-form": "citizen_object",
    "portal:draft-papers": "citizen_object",
    "portal:draft-review": "citizen_object",
    "portal:my-dossier": "citizen_object",
    "payments:receipt": "citizen_object",
    "payments:pay": "citizen_object",
    "engagement:appointment-cancel": "citizen_object",
    "engagement:appointment-reschedule": "citizen_object",
    "engagement:rate": "citizen_object",
}

# Routes added by issue 10 parts are classified by prefix if their names are not listed above.
PREFIX_CLASSES = (
    ("accounts:", "auth"),
    ("backoffice:otp-", "auth"),
    ("audit-", "staff"),
    ("audit:", "staff"),
    ("privacy:", "staff"),
    ("system:", "staff"),
)
# Per-user flows where a POST by anyone is harmless by design (a new ticket number, a feedback, ...).
POST_OK_FOR_ANYONE = {"engagement:take", "engagement:kiosk-take", "engagement:feedback-submit", "public:tracking"}
DENIED = {401, 403, 404, 405}


def walk_patterns():
    """(route name, path pattern, converter names) of every non-admin URL pattern."""

    def walk(resolver, prefix, ns):
        for p in resolver.url_patterns:
            if isinstance(p, URLResolver):
                inner = ns
                if p.namespace:
                    inner = f"{ns}:{p.namespace}" if ns else p.namespace
                yield from walk(p, prefix + str(p.pattern), inner)
            elif isinstance(p, URLPattern):
                name = f"{ns}:{p.name}" if ns and p.name else (p.name or "")
                yield name, prefix + str(p.pattern)

    for name, pattern in walk(get_resolver(), "", ""):
        if pattern.startswith(("admin/", "^static", "static/", "media/", "^media", "__debug__")):
            continue
        yield name, pattern


def route_class(name: str) -> str | None:
    if name in ROUTES:
        return ROUTES[name]
    for prefix, cls in PREFIX_CLASSES:
        if name.startswith(prefix):
            return cls
    return None


def test_every_route_is_classified():
    missing = [(name, pattern) for name, pattern in walk_patterns() if route_class(name) is None]
    assert not missing, f"routes without an access class (add them to ROUTES): {missing}"


def fill(pattern: str, kwargs: dict) -> str:
    """The URL of ``pattern`` with its converters filled from ``kwargs``."""
    if pattern.startswith("^"):
        pattern = pattern.strip("^$").replace("/?", "/").replace("\\.", ".")

    def sub(m):
        return str(kwargs[m.group(2)])

    return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", sub, pattern)


def visit(client: Client, url: str, method: str):
    if method == "GET":
        return client.get(url)
    return client.post(url, {})


def is_login_redirect(response) -> bool:
    if response.status_code not in (301, 302, 303):
        return False
    location = response.headers.get("Location", "")
    return any(part in location for part in ("dang-nhap", "/admin/login", "/login", "xac-thuc"))


def check_route(name, pattern, cls, client, world, who, *, read_all=False):
    """Problems found when ``who`` requests route ``name`` (GET and POST)."""
    problems = []
    url = fill(pattern, {**world["kwargs"], **world["per_route"].get(name, {})})
    anonymous = who == "anonymous"
    citizen = who == "citizen"
    staff = not anonymous and not citizen
    for method in ("GET", "POST"):
        r = visit(client, url, method)
        status = r.status_code
        if status >= 500:
            problems.append(f"{who} {method} {url} ({name}): {status}")
            continue
        body = (
            r.content.decode("utf-8", "replace")
            if r.get("Content-Type", "").startswith(("text", "application/json"))
            else ""
        )
        denied = status in DENIED or is_login_redirect(r) or (cls == "machine" and status == 400)
        if cls in ("staff", "staff_object"):
            must_deny = not staff or (cls == "staff_object" and not read_all)
        elif cls == "citizen":
            must_deny = anonymous
        elif cls == "citizen_object":
            must_deny = True  # anonymous, staff, and the other citizen
        elif cls == "machine":
            must_deny = method == "POST"  # no signature, no token
        else:
            must_deny = False
        if must_deny and not denied:
            problems.append(f"{who} {method} {url} ({name}): {status}, expected a refusal")
        leaks = world["secrets"] if cls in ("public", "auth", "machine") or read_all else world["private"]
        if name in ("public:tracking-detail", "api:public-dossier", "engagement:rate") or read_all:
            leaks = world["secrets"]
        if cls in ("staff", "staff_object") and read_all:
            leaks = []  # the provincial office and inspectors read everything by design (logged)
        if name == "engagement:feedback-track":
            leaks = [AN["id_number"]]
        if denied:  # a refusal may repeat what the URL said (the dossier code), never more
            leaks = [s for s in leaks if s not in url]
        found = [s for s in leaks if s in body]
        if found and not (method == "POST" and name in POST_OK_FOR_ANYONE):
            problems.append(f"{who} {method} {url} ({name}): shows {found}")
    return problems


def assert_unchanged(world):
    from motcua.wallet.models import Consent

    d = world["dossier"]
    fresh = Dossier.objects.get(pk=d.pk)
    assert (fresh.state, fresh.lock_version) == (d.state, d.lock_version), "a refused request changed the dossier"
    assert not Consent.objects.filter(revoked_at__isnull=False).exists(), "a refused request revoked a consent"
    assert SavedFilter.objects.filter(user__username="motcua.xa").exists(), "a refused request deleted a filter"


def walk_as(client, world, who, *, read_all=False):
    problems = []
    for name, pattern in walk_patterns():
        cls = route_class(name)
        if cls is None or cls == "auth":
            continue
        if cls == "machine" and who != "anonymous":
            continue
        problems += check_route(name, pattern, cls, client, world, who, read_all=read_all)
    assert_unchanged(world)
    assert not problems, "\n".join(problems)


@pytest.mark.django_db
def test_anonymous_reaches_nothing_private(world):
    walk_as(Client(), world, "anonymous")


@pytest.mark.django_db
def test_another_citizen_reaches_nothing_of_ans(world):
    c = Client()
    c.force_login(world["binh"])
    walk_as(c, world, "citizen")


@pytest.mark.django_db
@pytest.mark.parametrize("role", [r for r in Role.values if r not in READ_ALL_ROLES])
def test_staff_of_another_agency_reach_nothing_of_commune_a(world, role):
    c = Client()
    c.force_login(other_agency_staff(role))
    walk_as(c, world, role)


@pytest.mark.django_db
@pytest.mark.parametrize("role", sorted(READ_ALL_ROLES))
def test_province_wide_roles_never_fail_and_see_no_citizen_pages(world, role):
    c = Client()
    c.force_login(other_agency_staff(role))
    walk_as(c, world, role, read_all=True)
