from django import forms

from .models import Breach, BreachStatus

DT_FORMATS = ["%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S", "%d/%m/%Y", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]


def _dt(label: str, required: bool = False) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        required=required,
        input_formats=DT_FORMATS,
        widget=forms.DateTimeInput(format="%d/%m/%Y %H:%M", attrs={"placeholder": "dd/mm/yyyy hh:mm"}),
        error_messages={"invalid": "Nhập ngày giờ theo dạng dd/mm/yyyy hh:mm."},
    )


class BreachForm(forms.ModelForm):
    detected_at = _dt("Thời điểm phát hiện", required=True)
    occurred_at = _dt("Thời điểm xảy ra (nếu biết)")
    reported_at = _dt("Thời điểm thông báo cơ quan chuyên trách")
    subjects_notified_at = _dt("Thời điểm thông báo chủ thể dữ liệu")

    class Meta:
        model = Breach
        fields = [
            "detected_at",
            "occurred_at",
            "title",
            "description",
            "data_categories",
            "sensitive",
            "subjects_count",
            "records_count",
            "consequences",
            "measures",
            "contact",
            "status",
            "reported_at",
            "late_reason",
            "subjects_notified_at",
        ]
        widgets = {
            name: forms.Textarea(attrs={"rows": 3})
            for name in ("description", "data_categories", "consequences", "measures", "late_reason")
        }

    def clean(self):
        data = super().clean()
        detected, occurred = data.get("detected_at"), data.get("occurred_at")
        reported, notified = data.get("reported_at"), data.get("subjects_notified_at")
        if detected and occurred and occurred > detected:
            self.add_error("occurred_at", "Thời điểm xảy ra không thể sau thời điểm phát hiện.")
        for name, value in (("reported_at", reported), ("subjects_notified_at", notified)):
            if detected and value and value < detected:
                self.add_error(name, "Thời điểm thông báo không thể trước thời điểm phát hiện.")
        status = data.get("status")
        if status in (BreachStatus.REPORTED, BreachStatus.CLOSED) and not reported:
            self.add_error("reported_at", "Trạng thái này cần thời điểm đã thông báo cơ quan chuyên trách.")
        if detected and reported and not (data.get("late_reason") or "").strip():
            instance = Breach(detected_at=detected, reported_at=reported)
            if instance.overdue():
                self.add_error("late_reason", "Thông báo quá 72 giờ: cần nêu lý do chậm (Luật Bảo vệ dữ liệu cá nhân).")
        return data
