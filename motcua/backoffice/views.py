"""Staff pages (templates + HTMX, work without JS). Thin: call domain services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from motcua.catalog.interchange import export_json, export_xlsx, import_file
from motcua.catalog.models import Field, OnlineLevel, ProcedureVersion
from motcua.catalog.services import CatalogError, search_versions
from motcua.org.models import AdministrativeLevel, Agency

MAX_UPLOAD = 10 * 1024 * 1024


def home(request):
    if not request.user.is_authenticated:
        return redirect("backoffice:login")
    memberships = request.user.memberships.filter(active=True).select_related("agency", "desk")
    return render(request, "backoffice/home.html", {"memberships": memberships})


@login_required
def catalog_search(request):
    p = request.GET
    agency = Agency.objects.select_related("unit").filter(code=p.get("agency")).first() if p.get("agency") else None
    online_level = p.get("online_level") if p.get("online_level") in OnlineLevel.values else None
    qs = search_versions(
        p.get("q", "")[:200],
        field=p.get("field") or None,
        agency=agency,
        level=p.get("level") or None,
        online_level=online_level,
    ).prefetch_related("levels")
    page = Paginator(qs, 20).get_page(p.get("page"))
    context = {
        "page": page,
        "q": p.get("q", ""),
        "selected": {k: p.get(k, "") for k in ("field", "agency", "level", "online_level")},
        "fields": Field.objects.order_by("name"),
        "levels": AdministrativeLevel.objects.all(),
        "agencies": Agency.objects.active_on().order_by("code"),
        "online_levels": OnlineLevel.choices,
        "querystring": _without_page(p),
    }
    template = "backoffice/_catalog_results.html" if request.headers.get("HX-Request") else "backoffice/catalog.html"
    return render(request, template, context)


def _without_page(params) -> str:
    q = params.copy()
    q.pop("page", None)
    return q.urlencode()


@login_required
def procedure_detail(request, code):
    version = (
        ProcedureVersion.objects.in_force()
        .filter(procedure__code=code)
        .select_related("procedure", "field")
        .prefetch_related("levels", "agencies", "components", "results", "fees", "steps")
        .order_by("-effective_from")
        .first()
    )
    if version is None:
        raise Http404("Không tìm thấy thủ tục.")
    history = version.procedure.versions.order_by("-number")
    return render(request, "backoffice/procedure.html", {"v": version, "history": history})


@login_required
@permission_required("catalog.add_procedureversion", raise_exception=True)
@require_http_methods(["GET", "POST"])
def catalog_import(request):
    errors: list[str] = []
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            errors = ["Vui lòng chọn tệp .json hoặc .xlsx để nhập."]
        elif upload.size > MAX_UPLOAD:
            errors = ["Tệp quá lớn (tối đa 10 MB)."]
        else:
            try:
                outcome = import_file(upload.name, upload.read())
            except CatalogError as exc:
                errors = exc.errors
            else:
                messages.success(
                    request,
                    f"Đã nhập thành công: {outcome.created} thủ tục mới, "
                    f"{outcome.new_versions} phiên bản mới, {outcome.unchanged} không thay đổi.",
                )
                return redirect("backoffice:catalog")
    return render(request, "backoffice/catalog_import.html", {"errors": errors}, status=400 if errors else 200)


@login_required
def catalog_export(request, fmt):
    qs = ProcedureVersion.objects.in_force()
    if fmt == "json":
        response = HttpResponse(export_json(qs), content_type="application/json; charset=utf-8")
    elif fmt == "xlsx":
        response = HttpResponse(
            export_xlsx(qs), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
    else:
        raise Http404
    response["Content-Disposition"] = f'attachment; filename="danh-muc-thu-tuc.{fmt}"'
    return response
