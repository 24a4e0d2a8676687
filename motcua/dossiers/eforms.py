"""Online e-forms (tờ khai điện tử): a JSON Schema per procedure version, rendered as accessible
HTML on the server, validated on the server (jsonschema), prefilled from what the state knows.

A schema is ``type: object`` with ``properties``; each property may carry ``title`` (the label),
``description`` (the hint), ``enum`` + ``x-labels`` (a choice), ``format: date`` (entered and shown
as dd/mm/yyyy, stored ISO), ``maxLength``, ``minimum``/``maximum``, and ``x-prefill`` — where the
value comes from: ``person.<field>`` (the logged-in citizen), ``population.<dotted path>`` (their
National Population DB record, e.g. ``population.permanent_residence.address``) or
``store.<doc type>.<attr>`` (their newest valid document of that type in the e-data store, attr one of
``STORE_ATTRS``, e.g. ``store.1.000894:KQ01.doc_number``). ``x-fee-fact`` tells the fee exemptions what
a field means (``payments.fees.facts_for``). ``required`` lists what must be filled. Procedures
without a schema use ``DEFAULT_SCHEMA``.
"""

from __future__ import annotations

import datetime as dt

from jsonschema import Draft202012Validator

from motcua.common.inputs import as_int

DEFAULT_SCHEMA = {
    "type": "object",
    "properties": {
        "full_name": {
            "type": "string",
            "title": "Họ và tên người nộp",
            "maxLength": 255,
            "x-prefill": "person.full_name",
        },
        "date_of_birth": {
            "type": "string",
            "format": "date",
            "title": "Ngày sinh",
            "x-prefill": "person.date_of_birth",
        },
        "phone": {
            "type": "string",
            "title": "Số điện thoại",
            "maxLength": 30,
            "pattern": "^[0-9+ .]{8,15}$",
            "x-prefill": "person.phone",
        },
        "email": {"type": "string", "title": "Thư điện tử", "maxLength": 254, "x-prefill": "person.email"},
        "address": {
            "type": "string",
            "title": "Địa chỉ liên hệ",
            "maxLength": 500,
            "x-prefill": "population.current_residence.address",
        },
        "request": {"type": "string", "title": "Nội dung đề nghị", "maxLength": 2000, "x-widget": "textarea"},
    },
    "required": ["full_name", "phone", "address", "request"],
}

MESSAGES = {
    "required": "Vui lòng nhập {label}.",
    "maxLength": "{label} dài quá {limit} ký tự.",
    "pattern": "{label} không đúng định dạng.",
    "enum": "Vui lòng chọn {label} trong danh sách.",
    "minimum": "{label} phải từ {limit} trở lên.",
    "maximum": "{label} không được lớn hơn {limit}.",
    "type": "{label} không đúng kiểu dữ liệu.",
    "format": "{label} phải có dạng ngày/tháng/năm, ví dụ 05/09/2025.",
}


def schema_of(version) -> dict:
    return version.form_schema or DEFAULT_SCHEMA


def _dig(data, path: str):
    for part in path.split("."):
        if not isinstance(data, dict):
            return None
        data = data.get(part)
    return data


STORE_ATTRS = ("doc_number", "issue_date", "issuer", "title")


def store_types(schema: dict) -> set[str]:
    """The document types a schema prefills from (``store.<type>.<attr>``)."""
    out = set()
    for prop in schema.get("properties", {}).values():
        source = str(prop.get("x-prefill", ""))
        if source.startswith("store.") and "." in source[6:]:
            out.add(source[6:].rsplit(".", 1)[0])
    return out


def prefill(schema: dict, person=None, record: dict | None = None, store: dict | None = None) -> dict:
    """Initial values from the citizen, their population record and their e-data store (``store``:
    document type → document), i.e. what the state already knows."""
    values = {}
    for name, prop in schema.get("properties", {}).items():
        source = prop.get("x-prefill", "")
        value = None
        if source.startswith("person.") and person is not None:
            value = getattr(person, source.split(".", 1)[1], None)
        elif source.startswith("population."):
            value = _dig(record or {}, source.split(".", 1)[1])
        elif source.startswith("store.") and "." in source[6:]:
            doc_type, attr = source[6:].rsplit(".", 1)
            doc = (store or {}).get(doc_type)
            value = getattr(doc, attr, None) if doc is not None and attr in STORE_ATTRS else None
        if isinstance(value, dt.date):
            value = value.isoformat()
        if value not in (None, ""):
            values[name] = str(value) if prop.get("type", "string") == "string" else value
    return values


def parse(schema: dict, raw) -> dict:
    """Form input (a QueryDict or dict of strings) → typed data; dates dd/mm/yyyy → ISO (invalid
    dates are kept as typed so the validator names them)."""
    data = {}
    for name, prop in schema.get("properties", {}).items():
        text = str(raw.get(name, "") or "").strip()
        kind = prop.get("type", "string")
        if kind == "boolean":
            data[name] = text in ("1", "true", "on", "yes")
            continue
        if not text:
            continue
        if kind == "integer":
            number = as_int(text.removeprefix("-"))  # ASCII digits in a 64-bit range, else left for the schema
            data[name] = text if number is None else (-number if text.startswith("-") else number)
        elif prop.get("format") == "date":
            try:
                data[name] = dt.datetime.strptime(text, "%d/%m/%Y").date().isoformat()
            except ValueError:
                data[name] = text
        else:
            data[name] = text
    return data


def validate(schema: dict, data: dict) -> dict[str, str]:
    """Field name → Vietnamese message, for every problem (empty: valid)."""
    errors: dict[str, str] = {}
    props = schema.get("properties", {})
    for name, prop in props.items():  # dates are checked here: jsonschema leaves "format" unchecked
        value = data.get(name)
        if prop.get("format") == "date" and isinstance(value, str):
            try:
                dt.date.fromisoformat(value)
            except ValueError:
                errors[name] = MESSAGES["format"].format(label=_label(prop, name))
    for error in Draft202012Validator(schema).iter_errors(data):
        if error.validator == "required":
            name = error.message.split("'")[1] if "'" in error.message else ""
            prop = props.get(name, {})
        else:
            name = str(error.path[0]) if error.path else ""
            prop = props.get(name, {})
        if not name or name in errors:
            continue
        template = MESSAGES.get(str(error.validator), "{label} không hợp lệ.")
        limit = error.validator_value if error.validator in ("maxLength", "minimum", "maximum") else ""
        errors[name] = template.format(label=_label(prop, name), limit=limit)
    return errors


def _label(prop: dict, name: str) -> str:
    label = prop.get("title", name)
    return label[:1].lower() + label[1:] if label else name


def fields(schema: dict, values: dict, errors: dict) -> list[dict]:
    """What the template renders for each property: id, label, hint, widget, value (display form),
    choices, required, error."""
    required = set(schema.get("required", []))
    out = []
    for name, prop in schema.get("properties", {}).items():
        value = values.get(name, "")
        widget = prop.get("x-widget") or (
            "select"
            if "enum" in prop
            else "checkbox"
            if prop.get("type") == "boolean"
            else "date"
            if prop.get("format") == "date"
            else "number"
            if prop.get("type") == "integer"
            else "text"
        )
        if widget == "date" and isinstance(value, str) and len(value) == 10 and value[4] == "-":
            try:
                value = dt.date.fromisoformat(value).strftime("%d/%m/%Y")
            except ValueError:
                pass
        labels = prop.get("x-labels") or {}
        out.append(
            {
                "name": name,
                "id": f"f-{name}",
                "label": prop.get("title", name),
                "hint": prop.get("description", ""),
                "widget": widget,
                "value": value,
                "choices": [(v, labels.get(str(v), str(v))) for v in prop.get("enum", [])],
                "required": name in required,
                "error": errors.get(name, ""),
                "maxlength": prop.get("maxLength"),
            }
        )
    return out


def summary(schema: dict, data: dict) -> list[tuple[str, str]]:
    """(label, display value) pairs for the review page and the dossier page."""
    rows = []
    for f in fields(schema, data, {}):
        value = f["value"]
        if f["widget"] == "checkbox":
            value = "Có" if value else "Không"
        elif f["choices"]:
            value = dict((str(k), v) for k, v in f["choices"]).get(str(value), value)
        rows.append((f["label"], value if value not in (None, "") else "—"))
    return rows
