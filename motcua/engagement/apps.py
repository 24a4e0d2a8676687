from django.apps import AppConfig


class EngagementConfig(AppConfig):
    name = "motcua.engagement"
    verbose_name = "Tương tác công dân (xếp hàng, lịch hẹn, đánh giá)"
