"""API serializers (thin: shapes only, no rules)."""

from rest_framework import serializers

from motcua.catalog.models import Component, Fee, ProcedureVersion, ProcessStep, ResultType


class FieldRefSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class ProcedureSerializer(serializers.ModelSerializer):
    code = serializers.CharField(source="procedure.code")
    version = serializers.IntegerField(source="number")
    field = FieldRefSerializer()
    levels = serializers.SlugRelatedField(many=True, read_only=True, slug_field="code")
    online_level_label = serializers.CharField(source="get_online_level_display")
    rank = serializers.IntegerField(read_only=True, required=False)

    class Meta:
        model = ProcedureVersion
        fields = [
            "code",
            "version",
            "name",
            "field",
            "levels",
            "agency_kind",
            "time_limit_days",
            "online_level",
            "online_level_label",
            "location_independent",
            "pay_before_processing",
            "essential",
            "effective_from",
            "rank",
        ]


class ComponentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Component
        fields = ["code", "name", "required", "form", "copies", "reusable", "reuse_from", "data_source", "template"]


class ResultTypeSerializer(serializers.ModelSerializer):
    class Meta:
        model = ResultType
        fields = ["code", "name", "validity_days"]


class FeeSerializer(serializers.ModelSerializer):
    class Meta:
        model = Fee
        fields = ["kind", "name", "amount", "exemptions"]


class StepSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProcessStep
        fields = ["order", "name", "role", "agency_kind", "budget_days", "parallel"]


class ProcedureDetailSerializer(ProcedureSerializer):
    agencies = serializers.SlugRelatedField(many=True, read_only=True, slug_field="code")
    components = ComponentSerializer(many=True)
    results = ResultTypeSerializer(many=True)
    fees = FeeSerializer(many=True)
    steps = StepSerializer(many=True)

    class Meta(ProcedureSerializer.Meta):
        fields = ProcedureSerializer.Meta.fields + [
            "agencies",
            "applicant_types",
            "description",
            "legal_basis",
            "components",
            "results",
            "fees",
            "steps",
        ]


class DueDateSerializer(serializers.Serializer):
    due = serializers.DateTimeField()
    due_display = serializers.CharField()
    start = serializers.DateTimeField(help_text="Thời điểm bắt đầu tính (giờ làm việc kế tiếp).")
